namespace Dispatcher.Bench.Latency;

/// <summary>How the dispatch latency benchmark runs.</summary>
/// <param name="LatencyMs">The simulated deployments' fixed latency per call.</param>
/// <param name="MaxParallel">MaxParallel of each simulated deployment.</param>
/// <param name="Capacity">The pipeline's capacity in jobs/s; null measures it in the run.</param>
/// <param name="CapacityJobs">Jobs of the batch that measures the capacity (and warms the programs up).</param>
/// <param name="Duration">How long jobs are offered at each rate.</param>
/// <param name="IdleRate">The rate of the idle run, in jobs/s.</param>
/// <param name="LoadShare">The share of the capacity offered in the loaded run.</param>
/// <param name="Timeout">The longest a stage may take.</param>
/// <param name="QuietWait">How long to wait for other work on the machine to end before each measurement.</param>
internal sealed record LatencySettings(
    int LatencyMs,
    int MaxParallel,
    double? Capacity,
    int CapacityJobs,
    TimeSpan Duration,
    double IdleRate,
    double LoadShare,
    TimeSpan Timeout,
    TimeSpan QuietWait)
{
    /// <summary>The target for p99 at <see cref="LoadShare"/> of the capacity, in milliseconds.</summary>
    public const double LoadedTargetMs = 10;

    /// <summary>The target for p99 at <see cref="IdleRate"/>, in milliseconds.</summary>
    public const double IdleTargetMs = 5;
}
