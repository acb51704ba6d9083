using System.CommandLine;
using Dispatcher.Bench.Processes;
using Dispatcher.Bench.Tokens;

namespace Dispatcher.Bench.Cli;

/// <summary><c>tokens</c>: prompt-token estimates against reference counts, and the per-job cost of counting.</summary>
internal static class TokensCommand
{
    public static Command Create()
    {
        var iterations = new Option<int>("--token-iterations") { Description = "counts per measured round", DefaultValueFactory = _ => 20_000 };
        var command = new Command("tokens", "Prompt-token estimates ÷ reference counts (English, CJK, Hindi, tool-heavy) and the per-job cost of counting (time, allocated bytes).") { iterations };
        command.SetAction(async (parse, _) =>
        {
            Console.WriteLine();
            Console.WriteLine("== tokens ==");
            BenchSession.PrintHeader(RepoLayout.Locate(), Console.Out);
            return await TokenBench.RunAsync(parse.GetValue(iterations), Console.Out);
        });
        return command;
    }
}
