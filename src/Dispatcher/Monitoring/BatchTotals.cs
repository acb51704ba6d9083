namespace Dispatcher.Monitoring;

/// <summary>
/// Batch progress: counts over the batches still running, throughput in jobs per second over
/// the last refresh interval, the estimated seconds left, and the recent batches one by one.
/// </summary>
public sealed record BatchTotals(
    int Running,
    long Total,
    long Queued,
    long Dispatched,
    long Succeeded,
    long Failed,
    double ThroughputPerSecond,
    double? EtaSeconds,
    IReadOnlyList<BatchProgress> Recent);
