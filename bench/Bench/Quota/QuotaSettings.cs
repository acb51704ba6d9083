namespace Dispatcher.Bench.Quota;

/// <summary>How the quota benchmark runs.</summary>
/// <param name="Jobs">Jobs in each measured batch.</param>
/// <param name="Window">The catalog's QuotaWindow, which the simulated providers enforce too: the compressed "minute".</param>
/// <param name="Padding">The catalog's QuotaWindowPadding.</param>
/// <param name="Strategies">The model group's strategy in each run, one run per strategy.</param>
/// <param name="ProvidersEnforce">
/// Whether the simulated providers enforce the catalog's limits (and report what is left, as
/// <c>x-ratelimit-remaining-*</c> headers do). Off only as a diagnostic: nothing then checks the
/// dispatcher's own pacing, and nothing corrects its buckets.
/// </param>
/// <param name="LatencyMs">The simulated providers' fixed latency per call, in milliseconds (0: none).</param>
/// <param name="Timeout">The longest one run may take before the benchmark fails.</param>
/// <param name="QuietWait">How long to wait for other work on the machine to end before each run.</param>
internal sealed record QuotaSettings(
    int Jobs,
    TimeSpan Window,
    double Padding,
    IReadOnlyList<string> Strategies,
    bool ProvidersEnforce,
    double LatencyMs,
    TimeSpan Timeout,
    TimeSpan QuietWait)
{
    /// <summary>Jobs run through a pipeline of their own before each measured run (start-up, JIT), unmeasured.</summary>
    public const int WarmupJobs = 300;

    /// <summary>The makespan target, as a ratio to the quota lower bound.</summary>
    public const double MakespanTarget = 1.03;

    /// <summary>The cost target of the cost-based strategy, as a ratio to the cheapest feasible assignment.</summary>
    public const double CostTarget = 1.01;
}
