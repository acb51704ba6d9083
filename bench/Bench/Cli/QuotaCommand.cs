using System.CommandLine;
using System.Globalization;
using Dispatcher.Bench.Processes;
using Dispatcher.Bench.Quota;
using Dispatcher.Bench.Quota.Scenarios;
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

    private readonly Option<string> _scenarios = new("--quota-scenarios")
    {
        Description = "Comma-separated batches to run: english (one run per strategy), cjk, tools, anthropic, fairness; or all.",
        DefaultValueFactory = _ => "all",
    };

    private readonly Option<int> _scenarioJobs = new("--quota-scenario-jobs")
    {
        Description = "Jobs in each of the cjk, tools and anthropic batches.",
        DefaultValueFactory = _ => 2_000,
    };

    private readonly Option<int> _fairLarge = new("--fair-large")
    {
        Description = "Jobs of tenant A, the large batch of the fairness runs.",
        DefaultValueFactory = _ => 10_000,
    };

    private readonly Option<int> _fairSmall = new("--fair-small")
    {
        Description = "Jobs of tenant B, the small batch published behind A's.",
        DefaultValueFactory = _ => 100,
    };

    private readonly Option<TimeSpan> _fairWindow = new("--fair-window")
    {
        Description = "The compressed quota window of the fairness runs (hh:mm:ss).",
        DefaultValueFactory = _ => TimeSpan.FromSeconds(1),
    };

    private readonly Option<TimeSpan> _fairDelay = new("--fair-delay")
    {
        Description = "How long after A's first job B's batch is published, at the earliest once A's is (hh:mm:ss).",
        DefaultValueFactory = _ => TimeSpan.FromSeconds(5),
    };

    public static Command Create()
    {
        var options = new QuotaCommand();
        var timeout = BenchOptions.Timeout();
        var quietWait = BenchOptions.QuietWait();
        var command = new Command(
            "quota",
            "A time-compressed batch through the real pipeline on the embedded default, against simulated providers that enforce the catalog's RPM/TPM: " +
            "provider 429s, makespan against the quota lower bound, cost against the cheapest feasible assignment; " +
            "and CJK, tool-calling and Anthropic-model batches, and two tenants' batches for fair shares (--quota-scenarios).");
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
        foreach (var option in new Option[] { _jobs, _window, _padding, _strategies, _latency, _unlimited, _scenarios, _scenarioJobs, _fairLarge, _fairSmall, _fairWindow, _fairDelay })
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

        var scenarios = parse.GetRequiredValue(_scenarios)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (scenarios is ["all"])
        {
            scenarios = [.. QuotaScenarios.Names];
        }

        foreach (var s in scenarios.Where(s => !QuotaScenarios.Names.Contains(s)))
        {
            throw new ArgumentException($"--quota-scenarios: '{s}' is not a quota scenario; known: {string.Join(", ", QuotaScenarios.Names)}, or all");
        }

        var scenarioJobs = parse.GetValue(_scenarioJobs);
        var fairness = new FairnessSettings(parse.GetValue(_fairLarge), parse.GetValue(_fairSmall), parse.GetValue(_fairWindow), parse.GetValue(_fairDelay));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scenarioJobs, "--quota-scenario-jobs");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fairness.LargeJobs, "--fair-large");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fairness.SmallJobs, "--fair-small");
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(fairness.Window, TimeSpan.Zero, "--fair-window");
        ArgumentOutOfRangeException.ThrowIfLessThan(fairness.Delay, TimeSpan.Zero, "--fair-delay");
        return new QuotaSettings(
            jobs, window, padding, strategies, !parse.GetValue(_unlimited), latency, timeout, quietWait, scenarios, scenarioJobs, fairness);
    }

    /// <summary>Runs the quota benchmark in a work folder and prints its tables.</summary>
    public static async Task RunAsync(string workFolder, QuotaSettings settings, CancellationToken ct)
    {
        Console.WriteLine();
        Console.WriteLine("== quota ==");
        if (settings.Scenarios.Contains(QuotaScenarios.English))
        {
            var results = await new QuotaBenchmark(settings, Console.Out).RunAsync(workFolder, ct);
            QuotaReport.Print(results, Console.Out);
        }

        var scenarioRuns = new List<ScenarioRunResult>();
        foreach (var scenario in settings.Scenarios.Select(QuotaScenarios.Find).OfType<QuotaScenario>())
        {
            scenarioRuns.Add(await new ScenarioBenchmark(settings, workFolder, Console.Out).RunAsync(scenario, ct));
        }

        ScenarioReport.Print(scenarioRuns, Console.Out);
        if (settings.Scenarios.Contains(QuotaScenarios.Fairness))
        {
            ScenarioReport.Print(await new FairnessBenchmark(settings, workFolder, Console.Out).RunAsync(ct), Console.Out);
        }
    }
}
