namespace Dispatcher.Catalog.Tokens;

/// <summary>
/// About four characters of English per token: the fallback for models whose tokenizer is not
/// shipped (Claude, self-hosted models). It undercounts text that is not English (Chinese,
/// Japanese, Korean, Hindi take one to two tokens a character), which a reservation absorbs as
/// its settlement against the provider's reported usage.
/// </summary>
public sealed class CharacterTokenCounter : ITokenCounter
{
    private const int CharsPerToken = 4;

    /// <summary>The one instance; it holds no state.</summary>
    public static CharacterTokenCounter Instance { get; } = new();

    /// <inheritdoc />
    public int Count(ReadOnlySpan<char> text) => (text.Length + CharsPerToken - 1) / CharsPerToken;
}
