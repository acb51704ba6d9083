using System.Globalization;
using Dispatcher.Bench.Reporting;

namespace Dispatcher.Bench.WorkerSdk;

/// <summary>Prints the worker-sdk runs as Markdown tables.</summary>
internal static class WorkerSdkReport
{
    private static readonly string[] Processes = ["workers", "stub", "bench", "dispatcher", "broker"];

    /// <summary>Writes CPU per call by process, then the workers' cost beyond the bare client's.</summary>
    public static void Print(IReadOnlyList<WorkerSdkRun> runs, TextWriter output)
    {
        var table = new MarkdownTable(["run", "calls", "wall s", .. Processes.Select(p => p + " ms per call"), "other work, % of a core"]);
        foreach (var run in runs)
        {
            table.Row([run.Label, Figures.Count(run.Calls), Figures.Seconds(run.Cpu.Wall), .. Processes.Select(p => Ms(run.Cpu.MsPer(p, run.Calls))), Figures.Percent(run.Cpu.OtherPercentOfOneCore)]);
        }

        output.WriteLine();
        output.WriteLine("CPU per provider call, by process (milliseconds of CPU; 'stub' is the OpenAI-compatible server, 'bench' the publisher or the bare client):");
        output.WriteLine();
        output.Write(table);

        var sdk = runs[0].Cpu.MsPer("workers", runs[0].Calls) ?? double.NaN;
        var bare = runs[^1].Cpu.MsPer("bench", runs[^1].Calls) ?? double.NaN;
        output.WriteLine();
        output.WriteLine($"Workers per call beyond the bare HTTP client's own: {Ms(sdk)} − {Ms(bare)} = {Ms(sdk - bare)} ms (target <= 0.100: {(sdk - bare <= 0.1 ? "met" : "not met")}).");
        if (runs.Count == 3 && runs[1].Cpu.MsPer("workers", runs[1].Calls) is { } simulated)
        {
            output.WriteLine(
                $"Of that, the workers' messaging and bookkeeping per job (the simulated provider's run, no HTTP) is {Ms(simulated)} ms, " +
                $"so the OpenAI call path itself costs {Ms(sdk - simulated)} ms, {Ms(sdk - simulated - bare)} ms beyond the bare client's.");
        }
    }

    private static string Ms(double? ms) => ms is { } v ? v.ToString("0.000", CultureInfo.InvariantCulture) : "-";
}
