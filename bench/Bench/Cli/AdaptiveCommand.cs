using System.CommandLine;
using Dispatcher.Bench.Adaptive;
using Dispatcher.Bench.Processes;

namespace Dispatcher.Bench.Cli;

/// <summary><c>adaptive</c>: a weighted-adaptive group while one of its deployments degrades and recovers.</summary>
internal static class AdaptiveCommand
{
    public static Command Create()
    {
        var duration = new Option<TimeSpan>("--adaptive-duration")
        {
            Description = "How long jobs are published; the deployment degrades half-way through and recovers three quarters through (hh:mm:ss).",
            DefaultValueFactory = _ => TimeSpan.FromMinutes(4),
        };
        var rate = new Option<double>("--adaptive-rate") { Description = "Jobs published per second.", DefaultValueFactory = _ => 20 };
        var slice = new Option<TimeSpan>("--adaptive-slice") { Description = "The length of a time slice of the report (hh:mm:ss).", DefaultValueFactory = _ => TimeSpan.FromSeconds(10) };
        var window = new Option<TimeSpan>("--adaptive-window") { Description = "The model group's AdaptiveWindow (hh:mm:ss).", DefaultValueFactory = _ => TimeSpan.FromSeconds(30) };
        var latency = new Option<double>("--adaptive-latency-ms") { Description = "Both deployments' median latency while healthy, in milliseconds.", DefaultValueFactory = _ => 100 };
        var timeout = BenchOptions.Timeout();
        var quietWait = BenchOptions.QuietWait();
        var command = new Command(
            "adaptive",
            "Jobs at a steady rate through the real pipeline on the embedded default into a weighted-adaptive group of two simulated deployments; " +
            "half-way through one turns 5x slower and fails 20 % of its calls, later it recovers: per time slice each deployment's share of calls and adaptive weight, " +
            "and how many slices the share took to fall and to return.")
        {
            duration, rate, slice, window, latency, timeout, quietWait,
        };
        command.SetAction(async (parse, ct) =>
        {
            var settings = new AdaptiveSettings(
                parse.GetValue(duration), parse.GetValue(rate), parse.GetValue(slice), parse.GetValue(window), parse.GetValue(latency), parse.GetValue(timeout), parse.GetValue(quietWait));
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(settings.Duration, TimeSpan.Zero, "--adaptive-duration");
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(settings.Rate, 0, "--adaptive-rate");
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(settings.Slice, TimeSpan.Zero, "--adaptive-slice");
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(settings.Window, TimeSpan.Zero, "--adaptive-window");
            ArgumentOutOfRangeException.ThrowIfNegative(settings.LatencyMs, "--adaptive-latency-ms");
            Console.WriteLine();
            Console.WriteLine("== adaptive ==");
            BenchSession.PrintHeader(RepoLayout.Locate(), Console.Out);
            var folder = Directory.CreateTempSubdirectory("dispatcher-bench-").FullName;
            try
            {
                AdaptiveReport.Print(await new AdaptiveBenchmark(settings, Console.Out).RunAsync(folder, ct), Console.Out);
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
}
