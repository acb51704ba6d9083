namespace Dispatcher.Dispatching;

/// <summary>
/// Counts the tokens of one piece of prompt text. <see cref="TokenEstimator"/> decides which text
/// of a request counts (<see cref="PromptText"/>); this decides how much it weighs, so a real
/// tokenizer can replace the heuristic without touching what is counted.
/// </summary>
public interface ITokenCounter
{
    /// <summary>The tokens of <paramref name="text"/>.</summary>
    int Count(string text);
}
