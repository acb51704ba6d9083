namespace Dispatcher.Catalog.Tokens;

/// <summary>
/// The fallback for models whose tokenizer is not shipped (Claude, self-hosted models), weighed by
/// script: about four characters of ASCII a token, two characters a token for the scripts of the
/// two-byte UTF-8 range (accented Latin, Greek, Cyrillic, Hebrew, Arabic), and a token a character
/// beyond it (Chinese, Japanese, Korean, Devanagari, Thai; each half of a surrogate pair, so an
/// emoji counts two). BPE tokenizers learned mostly from English split the latter far finer than
/// English: counted at four characters a token, Chinese, Japanese, Korean and Hindi came to a
/// quarter to a third of what the provider counts, so reservations fell short and providers
/// refused calls. A token a character is close to o200k_base and cl100k_base on such text and
/// errs high rather than low.
/// </summary>
public sealed class CharacterTokenCounter : ITokenCounter
{
    // Weights in quarters of a token: ASCII 1, the two-byte range 2, beyond it 4.
    private const int QuartersPerToken = 4;

    /// <summary>The one instance; it holds no state.</summary>
    public static CharacterTokenCounter Instance { get; } = new();

    /// <inheritdoc />
    public int Count(ReadOnlySpan<char> text)
    {
        long quarters = 0;
        foreach (var c in text)
        {
            quarters += c < '\u0080' ? 1 : c < '\u0800' ? 2 : 4;
        }

        return (int)((quarters + QuartersPerToken - 1) / QuartersPerToken);
    }
}
