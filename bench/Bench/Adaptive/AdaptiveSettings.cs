namespace Dispatcher.Bench.Adaptive;

/// <summary>How the adaptive-weights benchmark runs.</summary>
/// <param name="Duration">How long jobs are published, at <paramref name="Rate"/>.</param>
/// <param name="Rate">Jobs published per second.</param>
/// <param name="Slice">The length of one time slice of the report.</param>
/// <param name="Window">The model group's <c>AdaptiveWindow</c>.</param>
/// <param name="LatencyMs">Both deployments' median latency while healthy, in milliseconds.</param>
/// <param name="Timeout">The longest the run may take, publishing and finishing included.</param>
/// <param name="QuietWait">How long to wait for other work on the machine to end before the run.</param>
internal sealed record AdaptiveSettings(
    TimeSpan Duration,
    double Rate,
    TimeSpan Slice,
    TimeSpan Window,
    double LatencyMs,
    TimeSpan Timeout,
    TimeSpan QuietWait)
{
    /// <summary>How many times slower the degraded deployment answers.</summary>
    public const double LatencyFactor = 5;

    /// <summary>The share of the degraded deployment's calls that fail with 500.</summary>
    public const double DegradedErrorRate = 0.2;

    /// <summary>The degraded deployment's share, as a fraction of its share before, under which it has fallen.</summary>
    public const double FallenBelow = 0.5;

    /// <summary>The degraded deployment's share, as a fraction of its share before, from which it has returned.</summary>
    public const double ReturnedFrom = 0.8;

    /// <summary>When the degradation begins: half-way through the run, from the deployment's first call.</summary>
    public TimeSpan DegradeAt => Duration / 2;

    /// <summary>When the deployment recovers: three quarters through the run.</summary>
    public TimeSpan RecoverAt => Duration * 3 / 4;
}
