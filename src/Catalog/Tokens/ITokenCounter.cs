namespace Dispatcher.Catalog.Tokens;

/// <summary>
/// Counts the tokens of one piece of prompt text. <see cref="PromptCounter"/> decides which text
/// of a request counts and what the format adds around it; this decides how much the text weighs,
/// so a real tokenizer and the heuristic count the same request the same way.
/// </summary>
public interface ITokenCounter
{
    /// <summary>The tokens of <paramref name="text"/>.</summary>
    int Count(ReadOnlySpan<char> text);
}
