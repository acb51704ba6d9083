using System.Globalization;

namespace Dispatcher.Catalog.Availability;

/// <summary>
/// The availability windows of a deployment or a routing rule, compiled once: open when any of
/// them is. A deployment or rule with no windows has no schedule and is always available.
/// </summary>
public sealed class AvailabilitySchedule
{
    private readonly AvailabilityWindow[] _windows;

    private AvailabilitySchedule(AvailabilityWindow[] windows) => _windows = windows;

    /// <summary>The windows, in configured order.</summary>
    public IReadOnlyList<AvailabilityWindow> Windows => _windows;

    /// <summary>
    /// Compiles <paramref name="windows"/>, adding an error naming the key under
    /// <paramref name="key"/> (e.g. <c>Catalog:Deployments:3:Availability</c>) for each mistake.
    /// Null when there are no windows or any is at fault.
    /// </summary>
    public static AvailabilitySchedule? Compile(IReadOnlyList<AvailabilityWindowOptions> windows, string key, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(windows);
        var compiled = new List<AvailabilityWindow>(windows.Count);
        for (var i = 0; i < windows.Count; i++)
        {
            if (AvailabilityWindow.Compile(windows[i], i, $"{key}:{i}", errors) is { } window)
            {
                compiled.Add(window);
            }
        }

        return compiled.Count == 0 || compiled.Count < windows.Count ? null : new AvailabilitySchedule([.. compiled]);
    }

    /// <summary>The first window open at <paramref name="now"/>; null when all are closed.</summary>
    public AvailabilityWindow? OpenWindow(DateTimeOffset now)
    {
        foreach (var window in _windows)
        {
            if (window.IsOpen(now))
            {
                return window;
            }
        }

        return null;
    }

    /// <summary>
    /// When the schedule next opens after <paramref name="now"/>, and the window that opens then
    /// (the first listed, when several open at once); null when none opens within eight days.
    /// </summary>
    public (DateTimeOffset At, AvailabilityWindow Window)? NextOpening(DateTimeOffset now)
    {
        (DateTimeOffset At, AvailabilityWindow Window)? first = null;
        foreach (var window in _windows)
        {
            if (window.NextOpening(now) is { } at && (first is null || at < first.Value.At))
            {
                first = (at, window);
            }
        }

        return first;
    }

    /// <summary>
    /// Why the schedule is closed at <paramref name="now"/>, naming the window that opens first:
    /// <c>closed until 22:00 Europe/Berlin, window 0</c>, with the day when it opens on another
    /// (<c>closed until Sat 00:00 UTC, window 1</c>).
    /// </summary>
    public string Closure(DateTimeOffset now)
    {
        if (NextOpening(now) is not { } next)
        {
            return "closed: no window opens within eight days";
        }

        var zone = next.Window.Zone;
        var opens = TimeZoneInfo.ConvertTime(next.At, zone);
        var day = opens.Date == TimeZoneInfo.ConvertTime(now, zone).Date ? "" : AvailabilityWindow.Abbreviation(opens.DayOfWeek) + " ";
        return string.Create(CultureInfo.InvariantCulture, $"closed until {day}{AvailabilityWindow.Clock(opens.TimeOfDay)} {zone.Id}, window {next.Window.Index}");
    }
}
