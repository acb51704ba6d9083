namespace Dispatcher.Ledger;

/// <summary>
/// A job that has not ended, with what the reconciler needs to tell whether anything still
/// works on it: its current attempt, where and when that attempt was sent, whether an outcome
/// of it was recorded, and when the job last changed.
/// </summary>
public sealed class UnfinishedJob
{
    public string JobId { get; init; } = "";
    public string State { get; init; } = "";
    public string ModelGroup { get; init; } = "";
    public long Attempts { get; init; }
    public string? DeploymentId { get; init; }
    public string? DispatchedAt { get; init; }
    public string UpdatedAt { get; init; } = "";
    public long Reported { get; init; }
    public long? QuotaSeq { get; init; }
}
