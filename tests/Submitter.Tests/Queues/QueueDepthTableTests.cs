using Dispatcher.ServiceDefaults.Management;
using Dispatcher.Submitter.Queues;
using Spectre.Console;

namespace Dispatcher.Submitter.Tests.Queues;

public sealed class QueueDepthTableTests
{
    [Fact]
    public void Write_Queues_RendersHeadersCountsAndRates()
    {
        var text = Render(
        [
            new QueueDepthSample("completions.openai", Ready: 1234, Unacked: 8, Consumers: 2, PublishRate: 12.345, DeliverRate: 0),
        ]);

        foreach (var header in new[] { "queue", "ready", "unacked", "consumers", "in/s", "out/s" })
        {
            text.ShouldContain(header);
        }

        var row = RowOf(text, "completions.openai");
        row.ShouldContain("1,234");
        row.ShouldContain(" 8 ");
        row.ShouldContain(" 2 ");
        row.ShouldContain("12.3");
        row.ShouldContain("0.0");
    }

    [Fact]
    public void Write_NoRatesYet_RendersDashes()
    {
        var row = RowOf(Render([new QueueDepthSample("fresh", 0, 0, 0, null, null)]), "fresh");

        row.Split(' ', StringSplitOptions.RemoveEmptyEntries).Count(cell => cell == "-").ShouldBe(2);
    }

    [Fact]
    public void Write_NameWithMarkupCharacters_RendersItLiterally()
    {
        var text = Render([new QueueDepthSample("odd[red]name", 1, 0, 0, null, null)]);

        text.ShouldContain("odd[red]name");
    }

    [Fact]
    public void Write_NoQueues_SaysSo()
    {
        Render([]).ShouldContain("no queues");
    }

    private static string Render(IReadOnlyList<QueueDepthSample> queues)
    {
        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 120;

        QueueDepthTable.Write(console, queues);
        return writer.ToString();
    }

    private static string RowOf(string text, string name) =>
        text.Split('\n').Single(line => line.Contains(name, StringComparison.Ordinal));
}
