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
/// <param name="Scenarios">Which batches run (<see cref="Scenarios.QuotaScenarios.Names"/>); english is the strategy runs.</param>
/// <param name="ScenarioJobs">Jobs in each of the cjk, tools and anthropic batches.</param>
/// <param name="Fairness">How the fairness runs go.</param>
internal sealed record QuotaSettings(
    int Jobs,
    TimeSpan Window,
    double Padding,
    IReadOnlyList<string> Strategies,
    bool ProvidersEnforce,
    double LatencyMs,
    TimeSpan Timeout,
    TimeSpan QuietWait,
    IReadOnlyList<string> Scenarios,
    int ScenarioJobs,
    FairnessSettings Fairness)
{
    /// <summary>Jobs run through a pipeline of their own before each measured run (start-up, JIT), unmeasured.</summary>
    public const int WarmupJobs = 300;

    /// <summary>The makespan target, as a ratio to the quota lower bound.</summary>
    public const double MakespanTarget = 1.03;

    /// <summary>The cost target of the cost-based strategy, as a ratio to the cheapest feasible assignment.</summary>
    public const double CostTarget = 1.01;
}

/// <summary>How the fairness runs go: tenant A's large batch alone, then A's batch with tenant B's small one submitted behind it.</summary>
/// <param name="LargeJobs">Jobs in tenant A's batch.</param>
/// <param name="SmallJobs">Jobs in tenant B's batch.</param>
/// <param name="Window">The quota window of these runs (the catalog's and the providers').</param>
/// <param name="Delay">How long after A's first job B's batch is published (at the earliest once A's is published).</param>
internal sealed record FairnessSettings(int LargeJobs, int SmallJobs, TimeSpan Window, TimeSpan Delay)
{
    /// <summary>The target for B's batch: done within this many quota windows of its submission.</summary>
    public const double SmallTargetWindows = 2;
}
