namespace Dispatcher.Contracts;

/// <summary>
/// What a provider said about its own limits in <c>x-ratelimit-*</c> headers.
/// </summary>
public sealed record RateLimitSnapshot(
    int? RemainingRequests,
    int? RemainingTokens,
    TimeSpan? ResetRequests,
    TimeSpan? ResetTokens);
