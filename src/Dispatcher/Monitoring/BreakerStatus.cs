namespace Dispatcher.Monitoring;

/// <summary>A breaker: <c>closed</c>, <c>open</c> or <c>half-open</c>, why and since when; <c>Source</c> is <c>gate</c> (live) or <c>ledger</c>.</summary>
public sealed record BreakerStatus(string State, string? Reason, DateTimeOffset? ChangedAt, string Source);
