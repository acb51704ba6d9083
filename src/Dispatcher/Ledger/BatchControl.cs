namespace Dispatcher.Ledger;

/// <summary>
/// What was decided about a batch as a whole, as the ledger stores it (<c>batches.control</c>):
/// nothing (null, the batch runs), or one of these. Every dispatcher, a restarted one and a standby
/// read it from the ledger, so a command handled by one holds for all.
/// </summary>
public static class BatchControl
{
    /// <summary>Paused: no new attempt starts; its jobs wait queued in the ledger until resumed.</summary>
    public const string Paused = "paused";

    /// <summary>Cancelled: no new attempt starts; the jobs not under way ended <c>batch_cancelled</c>.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>Expired: its completion window passed; the jobs not under way ended <c>batch_expired</c>.</summary>
    public const string Expired = "expired";

    /// <summary>
    /// Failed: the batch was refused as a whole when it was created (through the Batch API, its
    /// file failed validation against the catalog); nothing of it was published, it has no jobs.
    /// </summary>
    public const string Failed = "failed";

    /// <summary>Whether the decision ends the batch (no return from it).</summary>
    public static bool IsFinal(string? control) => control is Cancelled or Expired or Failed;
}
