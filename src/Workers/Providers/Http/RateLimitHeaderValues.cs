using Dispatcher.Contracts;

namespace Dispatcher.Workers.Providers.Http;

/// <summary>What an answer's headers say about waiting and about the provider's limits.</summary>
/// <param name="RetryAfter">
/// How long the provider asks us to wait: <c>retry-after-ms</c>, else <c>Retry-After</c>, else the
/// latest reset of a used-up limit; null when the headers state none of these.
/// </param>
/// <param name="Snapshot">The provider's remaining counters and reset times, or null when it sent none.</param>
/// <param name="Anomalies">The impossible numbers the headers held, each clamped or dropped; empty when there were none.</param>
internal sealed record RateLimitHeaderValues(TimeSpan? RetryAfter, RateLimitSnapshot? Snapshot, IReadOnlyList<ProviderAnomaly> Anomalies);
