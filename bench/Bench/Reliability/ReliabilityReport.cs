using Dispatcher.Bench.Reporting;

namespace Dispatcher.Bench.Reliability;

/// <summary>Prints the reliability figures as Markdown.</summary>
internal static class ReliabilityReport
{
    public static void Print(ReliabilitySettings settings, IReadOnlyList<ReliabilityRun> runs, TextWriter output)
    {
        output.WriteLine();
        output.WriteLine(
            $"{settings.Jobs} jobs, 3 simulated deployments ({Figures.One(settings.LatencyMs)} ms median latency, MaxParallel {settings.MaxParallel}), " +
            "separate Dispatcher, Workers and Submitter (`submit --wait`) processes on a private RabbitMQ node.");
        output.WriteLine();
        var table = new MarkdownTable(
            "run", "jobs lost", "duplicate result lines", "duplicate provider calls", "provider calls", "attempts sent",
            "succeeded", "failed", "submitter exit", "completion time (s)");
        foreach (var run in runs)
        {
            table.Row(
                run.Label,
                Figures.Count(run.Tally.Lost),
                Figures.Count(run.Tally.DuplicateLines),
                Figures.Count(run.DuplicateCalls),
                Figures.Count(run.ProviderCalls),
                Figures.Count(run.Tally.Attempts),
                Figures.Count(run.Tally.Succeeded),
                Figures.Count(run.Tally.Failed),
                run.SubmitterExit.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Figures.Seconds(run.Completion));
        }

        output.Write(table.ToString());
        foreach (var run in runs.Where(r => r.Faults.Count > 0))
        {
            output.WriteLine();
            output.WriteLine($"Faults injected in \"{run.Label}\":");
            foreach (var fault in run.Faults)
            {
                output.WriteLine($"- {fault}");
            }
        }
    }
}
