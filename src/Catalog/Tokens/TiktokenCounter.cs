using Microsoft.ML.Tokenizers;

namespace Dispatcher.Catalog.Tokens;

/// <summary>
/// Counts text with one of OpenAI's BPE encodings (o200k_base, cl100k_base), as <c>tiktoken</c>
/// does. Creating one reads a vocabulary of 100,000 to 200,000 entries (tens of milliseconds and
/// megabytes), so there is one per encoding per process (<see cref="PromptCounters"/>); counting
/// is thread-safe.
/// </summary>
public sealed class TiktokenCounter : ITokenCounter
{
    private readonly TiktokenTokenizer _tokenizer;

    /// <summary>Loads <paramref name="encoding"/> (<c>o200k_base</c> or <c>cl100k_base</c>) from its data package.</summary>
    public TiktokenCounter(string encoding)
    {
        _tokenizer = TiktokenTokenizer.CreateForEncoding(encoding);
    }

    /// <inheritdoc />
    public int Count(ReadOnlySpan<char> text) => text.IsEmpty ? 0 : _tokenizer.CountTokens(text);
}
