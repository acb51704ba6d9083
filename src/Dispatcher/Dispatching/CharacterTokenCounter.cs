namespace Dispatcher.Dispatching;

/// <summary>
/// About four characters of English per token, as for GPT- and Claude-family tokenizers. Good
/// enough to size a reservation: every reservation is settled against the provider's usage.
/// </summary>
public sealed class CharacterTokenCounter : ITokenCounter
{
    private const double CharsPerToken = 4.0;

    /// <summary>The one instance; it holds no state.</summary>
    public static CharacterTokenCounter Instance { get; } = new();

    /// <inheritdoc />
    public int Count(string text) => (int)Math.Ceiling((text?.Length ?? 0) / CharsPerToken);
}
