using System.CommandLine;
using Dispatcher.Bench.Chaos;

namespace Dispatcher.Bench.Cli;

/// <summary><c>chaos</c>: a large batch through separate processes while random faults hit the workers, the dispatcher, the broker and the intake.</summary>
internal sealed class ChaosCommand
{
    private readonly Option<int> _jobs = new("--jobs")
    {
        Description = "Jobs in the batch.",
        DefaultValueFactory = _ => 50_000,
    };

    private readonly Option<TimeSpan> _duration = new("--duration")
    {
        Description = "How long to inject faults, at most (hh:mm:ss); they stop earlier when the batch is done.",
        DefaultValueFactory = _ => TimeSpan.FromMinutes(10),
    };

    private readonly Option<int?> _seed = new("--seed")
    {
        Description = "Seed of the first run's faults (run N uses seed + N - 1); drawn and printed when not given.",
    };

    private readonly Option<int> _runs = new("--runs")
    {
        Description = "Runs in a row, each with its own seed.",
        DefaultValueFactory = _ => 1,
    };

    private readonly Option<double> _latency = new("--chaos-latency-ms")
    {
        Description = "The simulated providers' median latency per call, in milliseconds.",
        DefaultValueFactory = _ => 100,
    };

    private readonly Option<int> _maxParallel = new("--chaos-max-parallel")
    {
        Description = "MaxParallel of each of the 3 simulated deployments, per worker process.",
        DefaultValueFactory = _ => 16,
    };

    public static Command Create()
    {
        var options = new ChaosCommand();
        var timeout = BenchOptions.Timeout();
        var command = new Command(
            "chaos",
            "A large batch through one Dispatcher, two Workers and `submit --wait` as separate processes on a private RabbitMQ node, against simulated providers " +
            "with latency, 5xx, 429s and an outage, while random faults (kill -9 a worker or the dispatcher, restart the broker, republish a chunk) hit it every few seconds; " +
            "then checks that nothing was lost, duplicated, left unfinished, over a rate window or still reserved. Exits 1 when a check fails.");
        foreach (var option in new Option[] { options._jobs, options._duration, options._seed, options._runs, options._latency, options._maxParallel, timeout })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, ct) =>
        {
            var settings = new ChaosSettings(
                parse.GetValue(options._jobs),
                parse.GetValue(options._duration),
                parse.GetValue(options._seed) ?? Random.Shared.Next(1, 1_000_000),
                parse.GetValue(options._runs),
                parse.GetValue(options._latency),
                parse.GetValue(options._maxParallel),
                parse.GetValue(timeout));
            ArgumentOutOfRangeException.ThrowIfLessThan(settings.Jobs, ChaosSettings.ChunkJobs, "--jobs");
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.Runs, "--runs");
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.MaxParallel, "--chaos-max-parallel");
            ArgumentOutOfRangeException.ThrowIfNegative(settings.LatencyMs, "--chaos-latency-ms");
            ArgumentOutOfRangeException.ThrowIfLessThan(settings.Duration, TimeSpan.Zero, "--duration");
            await using var session = await BenchSession.StartAsync(Console.Out, ct);
            Console.WriteLine();
            Console.WriteLine($"== chaos == seed {settings.Seed}, {settings.Runs} run(s)");
            var runs = await new ChaosBenchmark(session.Node, session.Repo, settings, Console.Out).RunAsync(session.WorkFolder, ct);
            ChaosReport.Print(settings, runs, Console.Out);
            return runs.All(r => r.Failures.Count == 0) ? 0 : 1;
        });
        return command;
    }
}
