using Dispatcher.Contracts;

namespace Dispatcher.Workers.Providers.Http;

/// <summary>What an answer's headers say about waiting and about the provider's limits.</summary>
/// <param name="RetryAfter">The largest wait the headers state, or null when they state none.</param>
/// <param name="Snapshot">The provider's remaining counters and reset times, or null when it sent none.</param>
internal sealed record RateLimitHeaderValues(TimeSpan? RetryAfter, RateLimitSnapshot? Snapshot);
