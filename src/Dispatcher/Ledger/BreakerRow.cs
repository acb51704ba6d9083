namespace Dispatcher.Ledger;

/// <summary>
/// A deployment's breaker state in the dispatcher's gate, as recorded in the ledger:
/// <c>closed</c>, <c>open</c> or <c>half-open</c>, why it last changed, and when.
/// </summary>
public sealed record BreakerRow(string DeploymentId, string State, string? Reason, string ChangedAt);
