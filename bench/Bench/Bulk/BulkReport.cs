using Dispatcher.Bench.Reporting;

namespace Dispatcher.Bench.Bulk;

/// <summary>Prints the bulk submit figures as a Markdown table.</summary>
internal static class BulkReport
{
    /// <summary>The first result is the one-line file: its wall time is the fixed start-up cost.</summary>
    public static void Print(IReadOnlyList<BulkResult> results, TextWriter output)
    {
        var startup = results[0].Wall;
        var table = new MarkdownTable(
            "lines", "file MiB", "validation only, lines/s", "submit wall s", "lines/s (wall)", "lines/s (wall minus start-up)", "peak RSS MiB", "broker RSS MiB",
            "other work % of a core (validation / submit)");
        foreach (var r in results)
        {
            var net = r.Wall - startup;
            table.Row(
                Figures.Count(r.Lines) + (r.Lines == 1 ? " (start-up)" : ""),
                Figures.Mib(r.FileBytes),
                r.Lines == 1 ? "-" : Figures.Rate(r.ValidationLinesPerSecond),
                Figures.Seconds(r.Wall),
                r.Lines == 1 ? "-" : Figures.Rate(r.LinesPerSecond),
                r.Lines == 1 || net <= TimeSpan.Zero ? "-" : Figures.Rate(r.Lines / net.TotalSeconds),
                Figures.Mib(r.PeakRss),
                Figures.Mib(r.BrokerPeakRss),
                (r.Lines == 1 ? "-" : Figures.Percent(r.ValidationOtherPercent)) + " / " + Figures.Percent(r.SubmitOtherPercent));
        }

        output.WriteLine();
        output.WriteLine("Bulk submit (Submitter submit FILE as a child process, no dispatcher running; peak RSS is the child's VmHWM; 'other work' is CPU used by anything but the bench, the broker and the Submitter):");
        output.WriteLine();
        output.Write(table);
    }
}
