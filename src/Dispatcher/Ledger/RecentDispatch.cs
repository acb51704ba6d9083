namespace Dispatcher.Ledger;

/// <summary>An attempt sent to a deployment, as its quota window counts it.</summary>
public sealed class RecentDispatch
{
    public string DeploymentId { get; init; } = "";
    public string DispatchedAt { get; init; } = "";
    public long Tokens { get; init; }
}
