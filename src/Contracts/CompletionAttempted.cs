using System.Text.Json;

namespace Dispatcher.Contracts;

/// <summary>
/// The outcome of one attempt, sent by the worker back to the dispatcher. Workers report;
/// the dispatcher decides what happens next.
/// </summary>
/// <param name="JobId">The job's id.</param>
/// <param name="DeploymentId">The deployment that ran the attempt.</param>
/// <param name="Attempt">The attempt number from <see cref="CompletionWork"/>.</param>
/// <param name="Error">How the attempt ended; <see cref="ErrorKind.None"/> on success.</param>
/// <param name="StatusCode">The provider's HTTP status, when there was one.</param>
/// <param name="Response">
/// The provider's response body on success: as the provider sent it for OpenAI-style endpoints,
/// in OpenAI chat completion form for a provider with another wire format (Anthropic).
/// </param>
/// <param name="Usage">Tokens the provider reported, when it did.</param>
/// <param name="LatencyMs">Wall time of the call.</param>
/// <param name="ErrorMessage">The provider's or the transport's message, on failure.</param>
/// <param name="RetryAfter">How long the provider asked us to wait, when it did.</param>
/// <param name="RequestId">The provider's request id, when it sent one.</param>
/// <param name="RateLimit">The provider's own rate-limit counters, when it sent them.</param>
/// <param name="ProviderMs">
/// How long the provider says it spent on the call (OpenAI's <c>openai-processing-ms</c>, the
/// simulated provider's time from admitting the call to answering), when it said. The provider
/// received the call at least that long before the worker had the answer, which is what the
/// dispatcher's quota windows count the call from.
/// </param>
/// <param name="TraceParent">The <c>traceparent</c> of the worker's call, so the dispatcher's handling joins the job's trace.</param>
/// <param name="QuotaSeq">The <see cref="CompletionWork.QuotaSeq"/> of the work this outcome is of.</param>
public sealed record CompletionAttempted(
    Guid JobId,
    string DeploymentId,
    int Attempt,
    ErrorKind Error,
    int? StatusCode,
    JsonElement? Response,
    TokenUsage? Usage,
    double LatencyMs,
    string? ErrorMessage = null,
    TimeSpan? RetryAfter = null,
    string? RequestId = null,
    RateLimitSnapshot? RateLimit = null,
    double? ProviderMs = null,
    string? TraceParent = null,
    long? QuotaSeq = null);
