namespace Dispatcher.Contracts;

/// <summary>Tokens a provider reported for one call.</summary>
/// <param name="PromptTokens">Every prompt token the call read, those read from the provider's prompt cache included.</param>
/// <param name="CompletionTokens">The tokens the call produced.</param>
/// <param name="CachedPromptTokens">
/// The prompt tokens read from the provider's prompt cache (part of <paramref name="PromptTokens"/>):
/// OpenAI's <c>cached_tokens</c>, Anthropic's <c>cache_read_input_tokens</c>.
/// </param>
public sealed record TokenUsage(int PromptTokens, int CompletionTokens, int CachedPromptTokens = 0)
{
    /// <summary>Prompt plus completion tokens.</summary>
    public int TotalTokens => PromptTokens + CompletionTokens;
}
