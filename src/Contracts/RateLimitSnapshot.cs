namespace Dispatcher.Contracts;

/// <summary>
/// What a provider said about its own limits in <c>x-ratelimit-*</c> or <c>anthropic-ratelimit-*</c> headers.
/// </summary>
/// <param name="RemainingRequests">Requests left in the provider's window.</param>
/// <param name="RemainingTokens">Tokens left in its combined token limit (<c>x-ratelimit-remaining-tokens</c>, <c>anthropic-ratelimit-tokens-remaining</c>).</param>
/// <param name="ResetRequests">When the request limit is full again.</param>
/// <param name="ResetTokens">When the token limit closest to running out is full again.</param>
/// <param name="RemainingInputTokens">Input tokens left (<c>anthropic-ratelimit-input-tokens-remaining</c>).</param>
/// <param name="RemainingOutputTokens">Output tokens left (<c>anthropic-ratelimit-output-tokens-remaining</c>).</param>
public sealed record RateLimitSnapshot(
    int? RemainingRequests,
    int? RemainingTokens,
    TimeSpan? ResetRequests,
    TimeSpan? ResetTokens,
    int? RemainingInputTokens = null,
    int? RemainingOutputTokens = null);
