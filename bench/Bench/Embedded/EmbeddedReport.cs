using Dispatcher.Bench.Reporting;

namespace Dispatcher.Bench.Embedded;

/// <summary>Prints the embedded run figures as a Markdown table.</summary>
internal static class EmbeddedReport
{
    public static void Print(IReadOnlyList<EmbeddedResult> results, TextWriter output)
    {
        var table = new MarkdownTable(
            "lines", "file MiB", "wall s", "jobs/s (wall)", "peak RSS MiB", "RSS at 25 / 50 / 75 % MiB", "first progress s",
            "finished in first 5 s", "steady jobs/s (25-75 %)", "s to 80 % of steady", "other work, % of a core");
        foreach (var r in results)
        {
            table.Row(
                Figures.Count(r.Lines),
                Figures.Mib(r.FileBytes),
                Figures.Seconds(r.Wall),
                Figures.Rate(r.JobsPerSecond),
                Figures.Mib(r.PeakRss),
                string.Join(" / ", r.RssAtQuarters.Select(m => m is { } bytes ? Figures.Mib(bytes) : "-")),
                r.FirstProgress is { } first ? Figures.Seconds(first) : "-",
                Figures.Count(r.FinishedIn5Seconds),
                Figures.Rate(r.SteadyRate),
                r.ToSteady is { } steady ? Figures.Seconds(steady) : "-",
                Figures.Percent(r.OtherPercent));
        }

        output.WriteLine();
        output.WriteLine("Embedded run (Submitter run FILE as a child process; times from its start; RSS is the child's; 'other work' is CPU used by anything but the bench and the Submitter):");
        output.WriteLine();
        output.Write(table);
    }
}
