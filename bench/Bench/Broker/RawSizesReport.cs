using System.Globalization;
using Dispatcher.Bench.Reporting;

namespace Dispatcher.Bench.Broker;

/// <summary>Prints the raw runs at each message size as a Markdown table.</summary>
internal static class RawSizesReport
{
    /// <summary>Writes one row per run.</summary>
    public static void Print(IReadOnlyList<RawSizeRun> runs, TextWriter output)
    {
        var table = new MarkdownTable(
            "message", "bytes", "jobs per message", "unconfirmed / prefetch", "messages", "seconds", "messages/s", "jobs/s",
            "broker CPU ms per message", "bench CPU ms per message", "other work, % of a core");
        foreach (var run in runs)
        {
            table.Row(
                run.Label, Figures.Count(run.Result.BodyBytes), Figures.Count(run.JobsPerMessage), $"{run.InFlight} / {run.Prefetch}",
                Figures.Count(run.Result.Messages), Figures.Seconds(run.Result.Elapsed), Figures.Rate(run.Result.Rate), Figures.Rate(run.JobRate),
                Ms(run.Cpu.MsPer("broker", run.Result.Messages)), Ms(run.Cpu.MsPer("bench", run.Result.Messages)), Figures.Percent(run.Cpu.OtherPercentOfOneCore));
        }

        output.WriteLine();
        output.WriteLine("Raw broker (RabbitMQ.Client alone: persistent messages, publisher confirms, manual acknowledgements) at the product's message sizes; 'bench' is the publisher and the consumer:");
        output.WriteLine();
        output.Write(table);
    }

    private static string Ms(double? ms) => ms is { } v ? v.ToString("0.000", CultureInfo.InvariantCulture) : "-";
}
