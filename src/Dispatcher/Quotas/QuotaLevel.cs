namespace Dispatcher.Quotas;

/// <summary>A deployment's bucket levels at an instant, as persisted in the ledger.</summary>
public sealed record QuotaLevel(string DeploymentId, double Requests, double Tokens, string SavedAt);
