using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Dispatcher.Submitter.Queues;

/// <summary>
/// A queue's name in a table cell: whole when the column is wide enough, otherwise shortened in
/// the middle (<c>provider.some-lo…ployment-id-here</c>) to one line. The start says what kind of
/// queue it is and the end which deployment, so both are kept; wrapping instead would break the
/// name mid-word and double the rows of a table <c>watch</c> redraws every second.
/// </summary>
internal sealed class QueueNameCell(string name) : Renderable
{
    // Narrower than this the cell wraps rather than shrinks further: a name cut to a few
    // characters would no longer tell the queues apart.
    private const int MinWidth = 16;

    private const string Ellipsis = "…";

    /// <summary>The name shortened to <paramref name="width"/> characters, keeping its start and end.</summary>
    public static string Shorten(string name, int width)
    {
        ArgumentNullException.ThrowIfNull(name);
        var info = new StringInfo(name);
        if (info.LengthInTextElements <= width || width < 3)
        {
            return name;
        }

        // The end gets the larger half: it names the deployment.
        var kept = width - 1;
        var head = kept / 2;
        var tail = kept - head;
        return info.SubstringByTextElements(0, head) + Ellipsis + info.SubstringByTextElements(info.LengthInTextElements - tail);
    }

    protected override Measurement Measure(RenderOptions options, int maxWidth)
    {
        var length = name.Length;
        return new Measurement(Math.Min(length, Math.Min(MinWidth, maxWidth)), Math.Min(length, maxWidth));
    }

    protected override IEnumerable<Segment> Render(RenderOptions options, int maxWidth) =>
        ((IRenderable)new Text(Shorten(name, maxWidth))).Render(options, maxWidth);
}
