namespace Dispatcher.Bench.Adaptive;

/// <summary>The figures of one adaptive-weights run.</summary>
/// <param name="Settings">How it ran.</param>
/// <param name="Published">Jobs published.</param>
/// <param name="Succeeded">Jobs the ledger shows succeeded.</param>
/// <param name="Failed">Jobs the ledger shows failed.</param>
/// <param name="DegradedFrom">When the degradation began, from the first job published (the phase is timed from the deployment's first call).</param>
/// <param name="RecoveredFrom">When the deployment recovered, from the first job published.</param>
/// <param name="Slices">The run's time slices, in order.</param>
/// <param name="OtherWorkPercent">CPU other work on the machine used during the run, in % of a core.</param>
internal sealed record AdaptiveRunResult(
    AdaptiveSettings Settings,
    int Published,
    long Succeeded,
    long Failed,
    TimeSpan DegradedFrom,
    TimeSpan RecoveredFrom,
    IReadOnlyList<AdaptiveSlice> Slices,
    double OtherWorkPercent);
