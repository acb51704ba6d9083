using System.CommandLine;
using System.Globalization;
using Dispatcher.Bench.Processes;
using Dispatcher.Bench.Quota;
using Dispatcher.Catalog;

namespace Dispatcher.Bench.Cli;

/// <summary><c>quota</c>: a time-compressed batch on the embedded default against providers that enforce the catalog's limits, per strategy.</summary>
internal sealed class QuotaCommand
{
    private readonly Option<int> _jobs = new("--quota-jobs")
    {
        Description = "Jobs in each quota run.",
        DefaultValueFactory = _ => 6_000,
    };

    private readonly Option<TimeSpan> _window = new("--quota-window")
    {
        Description = "The compressed quota window, the catalog's QuotaWindow and the simulated providers' enforcement window (hh:mm:ss).",
        DefaultValueFactory = _ => TimeSpan.FromSeconds(5),
    };

    private readonly Option<double> _padding = new("--quota-padding")
    {
        Description = $"The catalog's QuotaWindowPadding (the product's default is {new CatalogOptions().QuotaWindowPadding.ToString(CultureInfo.InvariantCulture)}).",
        DefaultValueFactory = _ => new CatalogOptions().QuotaWindowPadding,
    };

    private readonly Option<string> _strategies = new("--quota-strategies")
    {
        Description = "Comma-separated strategies of the model group, one run each.",
        DefaultValueFactory = _ => StrategyNames.UsageBased + "," + StrategyNames.CostBased,
    };

    private readonly Option<bool> _unlimited = new("--quota-providers-unlimited")
    {
        Description = "Diagnostic: the simulated providers neither enforce nor report limits, so only the dispatcher's own pacing is measured.",
    };

    private readonly Option<double> _latency = new("--quota-latency-ms")
    {
        Description = "The simulated providers' fixed latency per call, in milliseconds.",
        DefaultValueFactory = _ => 0,
    };

    public static Command Create()
    {
        var options = new QuotaCommand();
        var timeout = BenchOptions.Timeout();
        var quietWait = BenchOptions.QuietWait();
        var command = new Command(
            "quota",
            "A time-compressed batch through the real pipeline on the embedded default, against simulated providers that enforce the catalog's RPM/TPM: " +
            "provider 429s, makespan against the quota lower bound, cost against the cheapest feasible assignment.");
        options.AddTo(command);
        command.Options.Add(timeout);
        command.Options.Add(quietWait);
        command.SetAction(async (parse, ct) =>
        {
            var settings = options.Read(parse, parse.GetValue(timeout), parse.GetValue(quietWait));
            BenchSession.PrintHeader(RepoLayout.Locate(), Console.Out);
            var folder = Directory.CreateTempSubdirectory("dispatcher-bench-").FullName;
            try
            {
                await RunAsync(folder, settings, ct);
            }
            finally
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                Directory.Delete(folder, recursive: true);
            }

            return 0;
        });
        return command;
    }

    /// <summary>Adds the quota options to a command.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _jobs, _window, _padding, _strategies, _latency, _unlimited })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The settings the command line gives.</summary>
    public QuotaSettings Read(ParseResult parse, TimeSpan timeout, TimeSpan quietWait)
    {
        var jobs = parse.GetValue(_jobs);
        var window = parse.GetValue(_window);
        var padding = parse.GetValue(_padding);
        var latency = parse.GetValue(_latency);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(jobs, "--quota-jobs");
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero, "--quota-window");
        if (padding is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException("--quota-padding", padding.ToString(CultureInfo.InvariantCulture), "must be between 0 and 1");
        }

        if (latency is < 0 or > 60_000)
        {
            throw new ArgumentOutOfRangeException("--quota-latency-ms", latency.ToString(CultureInfo.InvariantCulture), "must be between 0 and 60000");
        }

        var strategies = parse.GetRequiredValue(_strategies)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var s in strategies.Where(s => !StrategyNames.IsKnown(s)))
        {
            throw new ArgumentException($"--quota-strategies: '{s}' is not a routing strategy; known: {string.Join(", ", StrategyNames.Names)}");
        }

        return new QuotaSettings(jobs, window, padding, strategies, !parse.GetValue(_unlimited), latency, timeout, quietWait);
    }

    /// <summary>Runs the quota benchmark in a work folder and prints its tables.</summary>
    public static async Task RunAsync(string workFolder, QuotaSettings settings, CancellationToken ct)
    {
        Console.WriteLine();
        Console.WriteLine("== quota ==");
        var results = await new QuotaBenchmark(settings, Console.Out).RunAsync(workFolder, ct);
        QuotaReport.Print(results, Console.Out);
    }
}
