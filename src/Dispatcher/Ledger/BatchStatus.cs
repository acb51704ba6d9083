namespace Dispatcher.Ledger;

/// <summary>Where a batch stands: its declared size and its jobs counted by state.</summary>
/// <param name="BatchId">The batch.</param>
/// <param name="TotalJobs">How many jobs the submitter announced; null until the announcement arrives.</param>
/// <param name="Source">Where the batch came from.</param>
/// <param name="CreatedAt">When the ledger first saw the batch.</param>
/// <param name="Queued">Jobs recorded but not yet sent to a deployment.</param>
/// <param name="Dispatched">Jobs waiting on a deployment.</param>
/// <param name="Succeeded">Jobs ended with a completion.</param>
/// <param name="Failed">Jobs ended without one.</param>
/// <param name="PromptTokens">Prompt tokens the providers reported.</param>
/// <param name="CompletionTokens">Completion tokens the providers reported.</param>
/// <param name="Cost">Total cost of the succeeded jobs.</param>
/// <param name="Control">What was decided about the batch as a whole (<see cref="BatchControl"/>); null while it runs.</param>
/// <param name="ExpiresAt">When its completion window ends (round-trip UTC text); null for none.</param>
/// <param name="Metadata">The string keys and values submitted with the batch; null for none.</param>
/// <param name="ControlReason">Why it was cancelled, when the cancel said; null otherwise.</param>
public sealed record BatchStatus(
    string BatchId,
    long? TotalJobs,
    string? Source,
    string CreatedAt,
    long Queued,
    long Dispatched,
    long Succeeded,
    long Failed,
    long PromptTokens,
    long CompletionTokens,
    double Cost,
    string? Control = null,
    string? ExpiresAt = null,
    IReadOnlyDictionary<string, string>? Metadata = null,
    string? ControlReason = null)
{
    /// <summary>Jobs that ended.</summary>
    public long Finished => Succeeded + Failed;

    /// <summary>Jobs announced but not yet seen by the dispatcher.</summary>
    public long NotYetReceived => TotalJobs is { } total ? Math.Max(0, total - Queued - Dispatched - Finished) : 0;

    /// <summary>Whether every announced job ended.</summary>
    public bool IsComplete => TotalJobs is { } total && Finished >= total;

    /// <summary>
    /// Whether the batch has ended: every announced job ended, or it was cancelled or expired and
    /// nothing of it is queued, under way or still to arrive.
    /// </summary>
    public bool IsEnded => IsComplete || (BatchControl.IsFinal(Control) && Queued + Dispatched == 0 && NotYetReceived == 0);

    /// <summary>The batch's state, as the Batch API names it (<see cref="BatchState"/>).</summary>
    public string State => BatchState.Of(this);
}
