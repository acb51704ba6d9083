using System.CommandLine;
using Dispatcher.Bench.Embedded;
using Dispatcher.Bench.Processes;

namespace Dispatcher.Bench.Cli;

/// <summary><c>embedded</c>: Submitter run of generated files of each size: memory, speed and how soon jobs finish.</summary>
internal static class EmbeddedCommand
{
    public static Command Create()
    {
        var sizes = new Option<string>("--embedded-sizes")
        {
            Description = "Comma-separated line counts of the files run (add 1000000 for a million lines: several minutes).",
            DefaultValueFactory = _ => "10000,100000",
        };
        var latency = new Option<int>("--embedded-latency-ms")
        {
            Description = "The simulated calls' median latency.",
            DefaultValueFactory = _ => 5,
        };
        var maxParallel = new Option<int>("--embedded-max-parallel")
        {
            Description = "MaxParallel of each of the two simulated deployments.",
            DefaultValueFactory = _ => 32,
        };
        var inFlight = new Option<int?>("--embedded-in-flight")
        {
            Description = "The run's --in-flight (jobs published and not yet ended at once); the program's default when not given.",
        };
        var submitter = new Option<string?>("--submitter")
        {
            Description = "Another build of the Submitter to measure (its Submitter.dll), e.g. an earlier version for a before/after comparison; by default the one built beside the bench.",
        };
        var timeout = BenchOptions.Timeout();
        var quietWait = BenchOptions.QuietWait();
        var command = new Command("embedded", "The embedded run (Submitter run FILE: in-memory transport, SQLite ledger, simulated providers) of generated files: wall time, jobs/s, peak RSS and RSS as the batch progresses, jobs finished in the first 5 s and the steady rate.")
        {
            sizes, latency, maxParallel, inFlight, submitter, timeout, quietWait,
        };
        command.SetAction(async (parse, ct) =>
        {
            var list = BenchOptions.ParseSizes(parse.GetRequiredValue(sizes));
            var repo = RepoLayout.Locate();
            Console.WriteLine();
            Console.WriteLine("== embedded ==");
            BenchSession.PrintHeader(repo, Console.Out);
            var program = parse.GetValue(submitter) is { } path ? Path.GetFullPath(path) : repo.Program("Submitter");
            Console.WriteLine($"program: {program}");
            var folder = Directory.CreateTempSubdirectory("dispatcher-bench-").FullName;
            try
            {
                var settings = new EmbeddedSettings(parse.GetValue(latency), parse.GetValue(maxParallel), parse.GetValue(inFlight));
                var results = await new EmbeddedBenchmark(program, Console.Out).RunAsync(list, settings, folder, parse.GetValue(timeout), parse.GetValue(quietWait), ct);
                EmbeddedReport.Print(results, Console.Out);
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }

            return 0;
        });
        return command;
    }
}
