using System.Text.Json;
using Dispatcher.Contracts;

namespace Dispatcher.Workers.Providers;

/// <summary>A classified answer from a provider.</summary>
/// <param name="Error">How the call ended; <see cref="ErrorKind.None"/> on success.</param>
/// <param name="StatusCode">The HTTP status, when there was an answer.</param>
/// <param name="Response">On success, the answer as an OpenAI chat completion body.</param>
/// <param name="Usage">The tokens the provider reported.</param>
/// <param name="ErrorMessage">The provider's error message, on failure.</param>
/// <param name="RetryAfter">How long the provider asked us to wait (retry-after-ms, else Retry-After, else the reset of a used-up x-ratelimit-* limit).</param>
/// <param name="RequestId">The provider's request id header.</param>
/// <param name="RateLimit">The provider's x-ratelimit-* counters.</param>
/// <param name="ProviderTime">How long the provider says it spent on the call, from receiving it to answering (openai-processing-ms).</param>
/// <param name="Anomalies">Impossible numbers the answer held (a wait of centuries, a count beyond range), each clamped or dropped; null when none.</param>
public sealed record ProviderOutcome(
    ErrorKind Error,
    int? StatusCode,
    JsonElement? Response,
    TokenUsage? Usage,
    string? ErrorMessage = null,
    TimeSpan? RetryAfter = null,
    string? RequestId = null,
    RateLimitSnapshot? RateLimit = null,
    TimeSpan? ProviderTime = null,
    IReadOnlyList<ProviderAnomaly>? Anomalies = null)
{
    /// <summary>A failure with no answer from the provider.</summary>
    public static ProviderOutcome Failure(ErrorKind error, string message) => new(error, null, null, null, message);
}
