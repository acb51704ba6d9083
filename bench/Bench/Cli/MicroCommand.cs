using System.CommandLine;
using Dispatcher.Bench.Micro;
using Dispatcher.Bench.Processes;

namespace Dispatcher.Bench.Cli;

/// <summary><c>micro</c>: BenchmarkDotNet micro-benchmarks (the routing decision).</summary>
internal static class MicroCommand
{
    public static Command Create()
    {
        var inProcess = BenchOptions.InProcess();
        var command = new Command("micro", "BenchmarkDotNet micro-benchmarks of the routing decision (ns/op, allocated bytes).") { inProcess };
        command.SetAction(parse => Run(parse.GetValue(inProcess)));
        return command;
    }

    /// <summary>Runs the micro-benchmarks; BenchmarkDotNet prints the summary.</summary>
    public static int Run(bool inProcess)
    {
        Console.WriteLine();
        Console.WriteLine("== micro ==");
        BenchSession.PrintHeader(RepoLayout.Locate(), Console.Out);
        return MicroBenchmarks.Run(inProcess);
    }
}
