using System.Text;

namespace Dispatcher.Bench.Reporting;

/// <summary>A table printed as Markdown, so a run's output pastes straight into BENCHMARKS.md.</summary>
internal sealed class MarkdownTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    /// <summary>Adds a row; cells beyond the headers are ignored, missing ones are blank.</summary>
    public MarkdownTable Row(params string[] cells)
    {
        _rows.Add([.. Enumerable.Range(0, headers.Length).Select(i => i < cells.Length ? cells[i] : "")]);
        return this;
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var widths = Enumerable.Range(0, headers.Length)
            .Select(i => _rows.Select(r => r[i].Length).Append(headers[i].Length).Max())
            .ToArray();
        var text = new StringBuilder();
        Line(text, headers, widths);
        Line(text, [.. widths.Select(w => new string('-', w))], widths);
        foreach (var row in _rows)
        {
            Line(text, row, widths);
        }

        return text.ToString();
    }

    private static void Line(StringBuilder text, string[] cells, int[] widths)
    {
        text.Append('|');
        for (var i = 0; i < cells.Length; i++)
        {
            text.Append(' ').Append(cells[i].PadRight(widths[i])).Append(" |");
        }

        text.AppendLine();
    }
}
