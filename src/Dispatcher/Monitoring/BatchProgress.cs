namespace Dispatcher.Monitoring;

/// <summary>One batch's progress.</summary>
/// <param name="Complete">Whether the batch has ended: every job ended, or it was cancelled or expired and nothing of it is under way.</param>
/// <param name="State">Its state as the Batch API names it (<see cref="Ledger.BatchState"/>): validating, in_progress, completed, expired, cancelling, cancelled or paused.</param>
/// <param name="ExpiresAt">When its completion window ends; null for none.</param>
/// <param name="ThroughputPerSecond">Jobs of this batch ended per second since the previous snapshot (0 for the first).</param>
/// <param name="EtaSeconds">Seconds until the batch ends at that rate; 0 once it ended, null while the rate is unknown or zero.</param>
/// <param name="Metadata">The string keys and values submitted with the batch; null for none.</param>
/// <param name="Reason">Why it was cancelled, when the cancel said; null otherwise.</param>
public sealed record BatchProgress(
    string Id,
    string? Source,
    long? Total,
    long NotYetReceived,
    long Queued,
    long Dispatched,
    long Succeeded,
    long Failed,
    double Cost,
    bool Complete,
    string CreatedAt,
    string State = Ledger.BatchState.InProgress,
    string? ExpiresAt = null,
    double ThroughputPerSecond = 0,
    double? EtaSeconds = null,
    IReadOnlyDictionary<string, string>? Metadata = null,
    string? Reason = null);
