namespace Dispatcher.Monitoring;

/// <summary>A breaker: <c>closed</c>, <c>open</c> or <c>half-open</c>, why and since when; <c>Source</c> is <c>gate</c> (live) or <c>ledger</c>.</summary>
/// <param name="Probes">
/// Half-open probe slots taken now (jobs routed as probes whose outcome has not come back); null
/// where no live gate runs. A slot never given back would keep the breaker half-open for good.
/// </param>
public sealed record BreakerStatus(string State, string? Reason, DateTimeOffset? ChangedAt, string Source, int? Probes = null);
