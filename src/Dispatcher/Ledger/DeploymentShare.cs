namespace Dispatcher.Ledger;

/// <summary>How many of a batch's ended jobs a deployment finished.</summary>
public sealed record DeploymentShare(string DeploymentId, long Succeeded, long Failed);
