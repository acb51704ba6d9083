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

    [Fact]
    public void Write_LongQueueNamesAt80Columns_EveryLineFitsAndTheNumbersStayWhole()
    {
        var text = Render(
        [
            new QueueDepthSample("provider.some-long-deployment-id-here", Ready: 1_234_567, Unacked: 64, Consumers: 12, PublishRate: 1234.5, DeliverRate: 987.6),
            new QueueDepthSample("provider.some-long-deployment-id-there", Ready: 3, Unacked: 0, Consumers: 1, PublishRate: 0.5, DeliverRate: 0.5),
            new QueueDepthSample("completion-intake", Ready: 0, Unacked: 0, Consumers: 1, PublishRate: null, DeliverRate: null),
        ], width: 80);

        text.Split('\n').ShouldAllBe(line => line.TrimEnd().Length <= 80, text);
        var row = RowOf(text, "1,234,567");
        row.ShouldStartWith("│ provider.so");
        row.ShouldContain("…");
        row.ShouldContain("-id-here │");
        row.ShouldContain("1,234,567");
        row.ShouldContain("1234.5");
        row.ShouldContain("987.6");
        RowOf(text, "-id-there │").ShouldStartWith("│ provider.so");
        RowOf(text, "completion-intake");
        text.Split('\n').Count(line => line.StartsWith('│')).ShouldBe(4, "a header and one line per queue:\n" + text);
    }

    [Fact]
    public void Write_WideConsole_NamesWhole()
    {
        var text = Render([new QueueDepthSample("provider.some-long-deployment-id-here", 1, 0, 1, null, null)], width: 120);

        RowOf(text, "provider.some-long-deployment-id-here");
    }

    [Theory]
    [InlineData("provider.some-long-deployment-id-here", 20, "provider.…nt-id-here")]
    [InlineData("short", 20, "short")]
    [InlineData("abcdef", 5, "ab…ef")]
    public void Shorten_LongerThanTheWidth_KeepsStartAndEndAroundAnEllipsis(string name, int width, string expected)
    {
        var shortened = QueueNameCell.Shorten(name, width);

        shortened.ShouldBe(expected);
        shortened.Length.ShouldBeLessThanOrEqualTo(width);
    }

    private static string Render(IReadOnlyList<QueueDepthSample> queues, int width = 120)
    {
        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = width;

        QueueDepthTable.Write(console, queues);
        return writer.ToString();
    }

    private static string RowOf(string text, string name) =>
        text.Split('\n').SingleOrDefault(line => line.Contains(name, StringComparison.Ordinal))?.TrimEnd()
        ?? throw new ShouldAssertException($"no single line with '{name}' in:\n{text}");
}
