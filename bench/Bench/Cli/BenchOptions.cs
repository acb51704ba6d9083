using System.CommandLine;
using System.Globalization;
using Dispatcher.Ledger;

namespace Dispatcher.Bench.Cli;

/// <summary>The options of the bench's commands; <c>all</c> takes the union of them.</summary>
internal static class BenchOptions
{
    public static Option<int> Jobs() => new("--jobs")
    {
        Description = "Jobs (and raw messages) measured in each pipeline stage.",
        DefaultValueFactory = _ => 20_000,
    };

    public static Option<int> Warmup() => new("--warmup")
    {
        Description = "Unmeasured jobs run through each stage first (start-up, JIT).",
        DefaultValueFactory = _ => 1_000,
    };

    public static Option<int> InFlight() => new("--in-flight")
    {
        Description = "Unconfirmed publishes the raw baseline allows at once.",
        DefaultValueFactory = _ => 512,
    };

    public static Option<int> Prefetch() => new("--prefetch")
    {
        Description = "The raw baseline consumer's prefetch.",
        DefaultValueFactory = _ => 256,
    };

    public static Option<int> MaxParallel() => new("--max-parallel")
    {
        Description = "MaxParallel of each of the 3 simulated deployments.",
        DefaultValueFactory = _ => 32,
    };

    public static Option<bool> NoTmpfs() => new("--no-tmpfs")
    {
        Description = "Skip the routing stage with the ledger on tmpfs (/dev/shm).",
    };

    public static Option<int> LedgerProfileJobs() => new("--ledger-profile-jobs")
    {
        Description = "Jobs in the broker-less ledger profile; 0 skips it.",
        DefaultValueFactory = _ => 10_000,
    };

    public static Option<LedgerProvider> Ledger() => new("--ledger")
    {
        Description = "Where the pipeline's dispatcher keeps its ledger: sqlite (a file) or postgres (a private PostgreSQL cluster the bench starts).",
        DefaultValueFactory = _ => LedgerProvider.Sqlite,
    };

    public static Option<int> Dispatchers() => new("--dispatchers")
    {
        Description = "Active dispatcher processes in each pipeline stage, each owning one share of the model groups (one group per share); above 1 needs --ledger postgres.",
        DefaultValueFactory = _ => 1,
    };

    public static Option<string> Sizes() => new("--sizes")
    {
        Description = "Comma-separated line counts of the bulk submit files.",
        DefaultValueFactory = _ => "10000,100000,1000000",
    };

    public static Option<bool> InProcess() => new("--in-process")
    {
        Description = "Run the micro-benchmarks in this process instead of a separately built one.",
    };

    public static Option<TimeSpan> Timeout() => new("--timeout")
    {
        Description = "The longest one stage or one bulk submit may take (hh:mm:ss).",
        DefaultValueFactory = _ => TimeSpan.FromMinutes(30),
    };

    public static Option<TimeSpan> QuietWait() => new("--quiet-wait")
    {
        Description = "Before each measurement, wait up to this long for other work on the machine to end (hh:mm:ss).",
        DefaultValueFactory = _ => TimeSpan.FromMinutes(3),
    };

    /// <summary>Parses "10000,100000" into positive sizes.</summary>
    public static IReadOnlyList<int> ParseSizes(string text) =>
        [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s =>
            int.TryParse(s.Replace("_", "", StringComparison.Ordinal), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                ? n
                : throw new ArgumentException($"--sizes: '{s}' is not a positive whole number"))];
}
