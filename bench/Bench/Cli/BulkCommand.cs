using System.CommandLine;
using Dispatcher.Bench.Bulk;

namespace Dispatcher.Bench.Cli;

/// <summary><c>bulk</c>: Submitter submit of generated files of each size: wall time and peak memory.</summary>
internal static class BulkCommand
{
    public static Command Create()
    {
        var sizes = BenchOptions.Sizes();
        var timeout = BenchOptions.Timeout();
        var quietWait = BenchOptions.QuietWait();
        var command = new Command("bulk", "Bulk submit of generated batch files through the real Submitter program: lines/s and peak RSS per size.")
        {
            sizes, timeout, quietWait,
        };
        command.SetAction(async (parse, ct) =>
        {
            var list = BenchOptions.ParseSizes(parse.GetRequiredValue(sizes));
            await using var session = await BenchSession.StartAsync(Console.Out, ct);
            await RunAsync(session, list, parse.GetValue(timeout), parse.GetValue(quietWait), ct);
            return 0;
        });
        return command;
    }

    /// <summary>Runs the bulk benchmark in an open session and prints its table.</summary>
    public static async Task RunAsync(BenchSession session, IReadOnlyList<int> sizes, TimeSpan timeout, TimeSpan quietWait, CancellationToken ct)
    {
        Console.WriteLine();
        Console.WriteLine("== bulk ==");
        var results = await new BulkBenchmark(session.Node, session.Repo, Console.Out).RunAsync(sizes, session.WorkFolder, timeout, quietWait, ct);
        BulkReport.Print(results, Console.Out);
    }
}
