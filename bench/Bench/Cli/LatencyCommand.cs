using System.CommandLine;
using Dispatcher.Bench.Latency;

namespace Dispatcher.Bench.Cli;

/// <summary><c>latency</c>: dispatch latency of single jobs at a share of the pipeline's capacity and on an idle system.</summary>
internal static class LatencyCommand
{
    public static Command Create()
    {
        var latencyMs = new Option<int>("--latency-ms")
        {
            Description = "The simulated deployments' fixed latency per call.",
            DefaultValueFactory = _ => 20,
        };
        var maxParallel = BenchOptions.MaxParallel();
        var capacity = new Option<double?>("--latency-capacity")
        {
            Description = "The pipeline's capacity in jobs/s, the loaded rate is a share of; measured in the run (a batch of --latency-capacity-jobs) when not given.",
        };
        var capacityJobs = new Option<int>("--latency-capacity-jobs")
        {
            Description = "Jobs of the batch that warms the programs up and measures the capacity.",
            DefaultValueFactory = _ => 10_000,
        };
        var duration = new Option<TimeSpan>("--latency-duration")
        {
            Description = "How long jobs are offered at each rate (hh:mm:ss).",
            DefaultValueFactory = _ => TimeSpan.FromSeconds(30),
        };
        var idleRate = new Option<double>("--latency-idle-rate")
        {
            Description = "Jobs per second of the idle run.",
            DefaultValueFactory = _ => 10,
        };
        var share = new Option<double>("--latency-load")
        {
            Description = "The share of the capacity offered in the loaded run.",
            DefaultValueFactory = _ => 0.5,
        };
        var timeout = BenchOptions.Timeout();
        var quietWait = BenchOptions.QuietWait();
        var command = new Command("latency", "Dispatch latency (result received − submitted − provider time) of jobs sent one a message at a fixed rate: a share of the measured capacity, and an idle trickle; p50 / p99 / max and where the time goes.")
        {
            latencyMs, maxParallel, capacity, capacityJobs, duration, idleRate, share, timeout, quietWait,
        };
        command.SetAction(async (parse, ct) =>
        {
            var settings = new LatencySettings(
                parse.GetValue(latencyMs),
                parse.GetValue(maxParallel),
                parse.GetValue(capacity),
                parse.GetValue(capacityJobs),
                parse.GetValue(duration),
                parse.GetValue(idleRate),
                parse.GetValue(share),
                parse.GetValue(timeout),
                parse.GetValue(quietWait));
            ArgumentOutOfRangeException.ThrowIfNegative(settings.LatencyMs, "--latency-ms");
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.MaxParallel, "--max-parallel");
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.CapacityJobs, "--latency-capacity-jobs");
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.IdleRate, "--latency-idle-rate");
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.LoadShare, "--latency-load");
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(settings.Duration, TimeSpan.Zero, "--latency-duration");
            if (settings.Capacity is <= 0)
            {
                throw new ArgumentOutOfRangeException("--latency-capacity", settings.Capacity, "must be positive");
            }

            await using var session = await BenchSession.StartAsync(Console.Out, ct);
            Console.WriteLine();
            Console.WriteLine("== latency ==");
            var results = await new LatencyBenchmark(session.Node, session.Repo, settings, Console.Out).RunAsync(session.WorkFolder, ct);
            LatencyReport.Print(results, Console.Out);
            return 0;
        });
        return command;
    }
}
