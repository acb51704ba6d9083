using System.CommandLine;
using Dispatcher.Bench.Reliability;

namespace Dispatcher.Bench.Cli;

/// <summary><c>reliability</c>: a batch through separate processes while a worker, the dispatcher and the broker are taken down.</summary>
internal sealed class ReliabilityCommand
{
    private readonly Option<int> _jobs = new("--reliability-jobs")
    {
        Description = "Jobs in the batch.",
        DefaultValueFactory = _ => 2_000,
    };

    private readonly Option<double> _latency = new("--reliability-latency-ms")
    {
        Description = "The simulated providers' median latency per call, in milliseconds.",
        DefaultValueFactory = _ => 100,
    };

    private readonly Option<int> _maxParallel = new("--reliability-max-parallel")
    {
        Description = "MaxParallel of each of the 3 simulated deployments.",
        DefaultValueFactory = _ => 8,
    };

    private readonly Option<bool> _noBaseline = new("--reliability-no-baseline")
    {
        Description = "Skip the fault-free run of the same batch.",
    };

    public static Command Create()
    {
        var options = new ReliabilityCommand();
        var timeout = BenchOptions.Timeout();
        var command = new Command(
            "reliability",
            "A batch through separate Dispatcher, Workers and Submitter processes on a private RabbitMQ node while the Workers process is killed (kill -9), " +
            "then the Dispatcher process, then the broker is restarted: jobs lost, duplicate result lines, duplicate provider calls, completion time.");
        foreach (var option in new Option[] { options._jobs, options._latency, options._maxParallel, options._noBaseline, timeout })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, ct) =>
        {
            var settings = new ReliabilitySettings(
                parse.GetValue(options._jobs),
                parse.GetValue(options._latency),
                parse.GetValue(options._maxParallel),
                !parse.GetValue(options._noBaseline),
                parse.GetValue(timeout));
            ArgumentOutOfRangeException.ThrowIfLessThan(settings.Jobs, 10, "--reliability-jobs");
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.MaxParallel, "--reliability-max-parallel");
            ArgumentOutOfRangeException.ThrowIfNegative(settings.LatencyMs, "--reliability-latency-ms");
            await using var session = await BenchSession.StartAsync(Console.Out, ct);
            Console.WriteLine();
            Console.WriteLine("== reliability ==");
            var runs = await new ReliabilityBenchmark(session.Node, session.Repo, settings, Console.Out).RunAsync(session.WorkFolder, ct);
            ReliabilityReport.Print(settings, runs, Console.Out);
            return runs.All(r => r.Tally.Whole(r.Jobs) && r.SubmitterExit == 0) ? 0 : 1;
        });
        return command;
    }
}
