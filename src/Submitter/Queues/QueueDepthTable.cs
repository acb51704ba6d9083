using System.Globalization;
using Dispatcher.ServiceDefaults.Management;
using Spectre.Console;

namespace Dispatcher.Submitter.Queues;

/// <summary>
/// Renders queue depths as the <c>queues</c> command's table, also the first table of <c>status</c>
/// and <c>watch</c>: one line a queue, within an 80-column terminal whatever the queues' names
/// (a long name is shortened in the middle, <see cref="QueueNameCell"/>; the numbers stay whole).
/// </summary>
internal static class QueueDepthTable
{
    private const string NoRate = "-";

    public static Table Create(IReadOnlyList<QueueDepthSample> queues)
    {
        ArgumentNullException.ThrowIfNull(queues);

        var table = new Table()
            .Border(TableBorder.Rounded)
            .AddColumn("queue")
            .AddColumn(new TableColumn("ready").RightAligned())
            .AddColumn(new TableColumn("unacked").RightAligned())
            .AddColumn(new TableColumn("consumers").RightAligned())
            .AddColumn(new TableColumn("in/s").RightAligned())
            .AddColumn(new TableColumn("out/s").RightAligned());

        foreach (var queue in queues)
        {
            // Text, not markup: queue names may contain '[' and ']'.
            table.AddRow(
                new QueueNameCell(queue.Queue),
                new Text(queue.Ready.ToString("N0", CultureInfo.InvariantCulture)),
                new Text(queue.Unacked.ToString("N0", CultureInfo.InvariantCulture)),
                new Text(queue.Consumers.ToString(CultureInfo.InvariantCulture)),
                new Text(FormatRate(queue.PublishRate)),
                new Text(FormatRate(queue.DeliverRate)));
        }

        if (queues.Count == 0)
        {
            table.Caption("no queues in this virtual host");
        }

        return table;
    }

    public static void Write(IAnsiConsole console, IReadOnlyList<QueueDepthSample> queues)
    {
        ArgumentNullException.ThrowIfNull(console);
        console.Write(Create(queues));
    }

    private static string FormatRate(double? rate) =>
        rate is { } value ? value.ToString("0.0", CultureInfo.InvariantCulture) : NoRate;
}
