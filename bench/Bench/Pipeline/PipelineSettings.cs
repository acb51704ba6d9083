using Dispatcher.Ledger;

namespace Dispatcher.Bench.Pipeline;

/// <summary>How the pipeline benchmark runs.</summary>
/// <param name="Jobs">Jobs (and raw messages) measured in each stage.</param>
/// <param name="Warmup">Jobs run through each stage first, unmeasured, so start-up and JIT are not measured.</param>
/// <param name="RawInFlight">Unconfirmed publishes the raw baseline allows at once.</param>
/// <param name="RawPrefetch">The raw baseline consumer's prefetch.</param>
/// <param name="MaxParallel">MaxParallel of each simulated deployment (the workers' concurrency per queue).</param>
/// <param name="CompareTmpfs">Also run the routing stage with the ledger on tmpfs (/dev/shm).</param>
/// <param name="LedgerProfileJobs">Jobs in the broker-less ledger profile; 0 skips it.</param>
/// <param name="Timeout">The longest any one stage may take before the run fails.</param>
/// <param name="QuietWait">How long to wait for other work on the machine to end before each measurement.</param>
/// <param name="Ledger">Where the product's programs keep the ledger: a SQLite file, or a database of a private PostgreSQL cluster.</param>
/// <param name="Dispatchers">
/// Active dispatcher processes in each stage. Above 1 (PostgreSQL only) each owns one share of the
/// model groups (<c>Dispatcher:Shares</c>), and the catalog has one group per share.
/// </param>
internal sealed record PipelineSettings(
    int Jobs,
    int Warmup,
    int RawInFlight,
    ushort RawPrefetch,
    int MaxParallel,
    bool CompareTmpfs,
    int LedgerProfileJobs,
    TimeSpan Timeout,
    TimeSpan QuietWait,
    LedgerProvider Ledger,
    int Dispatchers)
{
    /// <summary>The targets, as ratios to the raw baseline.</summary>
    public const double RoutingTarget = 0.5;

    /// <summary>The target for the whole pipeline.</summary>
    public const double PipelineTarget = 0.25;

    /// <summary>The raw variant's window: the dispatcher intake's concurrency limit (each consumer awaits its own send).</summary>
    public const int NarrowInFlight = 32;

    /// <summary>The raw variant's prefetch: the dispatcher intake's prefetch.</summary>
    public const ushort NarrowPrefetch = 64;

    /// <summary>Where tmpfs is mounted on Linux.</summary>
    public const string TmpfsFolder = "/dev/shm";

    /// <summary>The model groups the stages' jobs take turns through: one per dispatcher's share.</summary>
    public IReadOnlyList<string> ModelGroups => ProductEnvironment.ModelGroups(Dispatchers);

    /// <summary>The names the CPU figures give the dispatcher processes: <c>dispatcher</c>, or <c>dispatcher 0</c>, <c>dispatcher 1</c>, … with several.</summary>
    public IReadOnlyList<string> DispatcherNames =>
        Dispatchers == 1 ? ["dispatcher"] : [.. Enumerable.Range(0, Dispatchers).Select(k => "dispatcher " + k.ToString(System.Globalization.CultureInfo.InvariantCulture))];
}
