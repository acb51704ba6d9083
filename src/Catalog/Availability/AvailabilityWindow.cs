using System.Globalization;
using System.Text.RegularExpressions;

namespace Dispatcher.Catalog.Availability;

/// <summary>
/// A compiled availability window (<see cref="AvailabilityWindowOptions"/>). It holds the instants
/// whose wall-clock time in its zone lies in [From, To) on one of its days (for a window that
/// crosses midnight: [From, 24:00) on one of its days and [00:00, To) on the day after).
/// </summary>
/// <remarks>
/// Daylight-saving time follows from reading the wall clock: a local time skipped when clocks go
/// forward never occurs, so the part of a window inside the gap is empty (02:00–03:00 on the
/// spring-forward night in Europe/Berlin never opens; 01:00–05:00 that night lasts three hours)
/// and a window starting in the gap opens when the gap ends. A local time repeated when clocks go
/// back occurs twice, and the window holds both occurrences (02:00–03:00 on the fall-back night in
/// Europe/Berlin lasts two hours; 02:30–02:45 opens twice).
/// </remarks>
public sealed partial class AvailabilityWindow
{
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);
    private readonly bool[] _days;

    private AvailabilityWindow(int index, bool[] days, TimeSpan from, TimeSpan to, TimeZoneInfo zone)
    {
        Index = index;
        _days = days;
        From = from;
        To = to;
        Zone = zone;
        var named = days.All(d => d) ? "" : string.Join(",", Enumerable.Range(0, 7).Where(d => days[d]).Select(d => Abbreviation((DayOfWeek)d))) + " ";
        Description = $"{named}{Clock(from)}–{Clock(to)} {zone.Id}";
    }

    /// <summary>The window's place in its list.</summary>
    public int Index { get; }

    /// <summary>Local time it opens.</summary>
    public TimeSpan From { get; }

    /// <summary>Local time it closes; at most a day; not after <see cref="From"/> when the window crosses midnight.</summary>
    public TimeSpan To { get; }

    /// <summary>The zone its times are read in.</summary>
    public TimeZoneInfo Zone { get; }

    /// <summary>How reasons name it, e.g. <c>Sat,Sun 00:00–24:00 UTC</c> or <c>22:00–06:00 Europe/Berlin</c>.</summary>
    public string Description { get; }

    /// <summary>Whether the window is open at <paramref name="now"/>.</summary>
    public bool IsOpen(DateTimeOffset now)
    {
        var local = TimeZoneInfo.ConvertTime(now, Zone).DateTime;
        var time = local.TimeOfDay;
        var day = (int)local.DayOfWeek;
        return To > From
            ? _days[day] && time >= From && time < To
            : (_days[day] && time >= From) || (_days[(day + 6) % 7] && time < To);
    }

    /// <summary>
    /// The first instant at or after <paramref name="now"/> at which the window is open:
    /// <paramref name="now"/> itself when it is open; null when it opens in none of the next eight days.
    /// </summary>
    public DateTimeOffset? NextOpening(DateTimeOffset now)
    {
        if (IsOpen(now))
        {
            return now;
        }

        // A window opens when the wall clock reaches From on one of its days, or, when From falls
        // in a gap the clocks skip, when the gap ends. Each candidate is checked, as the
        // gap's end may lie outside the window (02:00–03:00 on the spring-forward night).
        var today = TimeZoneInfo.ConvertTime(now, Zone).Date;
        for (var d = 0; d <= 8; d++)
        {
            var date = today.AddDays(d);
            if (!_days[(int)date.DayOfWeek])
            {
                continue;
            }

            foreach (var start in Instants(date + From))
            {
                if (start > now && IsOpen(start))
                {
                    return start;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Compiles a window, adding an error naming <paramref name="key"/> (e.g.
    /// <c>Catalog:Deployments:3:Availability:0</c>) for each field at fault; null when any is.
    /// </summary>
    public static AvailabilityWindow? Compile(AvailabilityWindowOptions options, int index, string key, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(errors);
        var before = errors.Count;
        var days = new bool[7];
        Array.Fill(days, options.Days.Count == 0);
        for (var i = 0; i < options.Days.Count; i++)
        {
            if (ParseDay(options.Days[i]) is { } day)
            {
                days[(int)day] = true;
            }
            else
            {
                errors.Add($"{key}:Days:{i}: unknown day '{options.Days[i]}'; use Monday … Sunday or Mon … Sun.");
            }
        }

        var from = ParseTime(options.From, allowEndOfDay: false, key + ":From", errors);
        var to = ParseTime(options.To, allowEndOfDay: true, key + ":To", errors);
        if (from is { } f && to is { } t && f == t)
        {
            errors.Add($"{key}:To: equals From ({options.From}); a window needs a length (00:00–24:00 for a whole day).");
        }

        var zone = FindZone(options.TimeZone, key + ":TimeZone", errors);
        return errors.Count > before ? null : new AvailabilityWindow(index, days, from!.Value, to!.Value, zone!);
    }

    /// <summary>A local time as reasons show it: <c>HH:mm</c>, with seconds when it has any.</summary>
    public static string Clock(TimeSpan time) => time.Seconds == 0
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)time.TotalHours:00}:{time.Minutes:00}")
        : string.Create(CultureInfo.InvariantCulture, $"{(int)time.TotalHours:00}:{time.Minutes:00}:{time.Seconds:00}");

    /// <summary>A day's three-letter English name.</summary>
    public static string Abbreviation(DayOfWeek day) => day.ToString()[..3];

    // The instants the wall clock shows local: one; two when clocks go back over it (earlier
    // first); when clocks skip it, the instant the skip ends.
    private IEnumerable<DateTimeOffset> Instants(DateTime local)
    {
        if (Zone.IsInvalidTime(local))
        {
            yield return GapEnd(local);
        }
        else if (Zone.IsAmbiguousTime(local))
        {
            foreach (var offset in Zone.GetAmbiguousTimeOffsets(local).OrderByDescending(o => o))
            {
                yield return new DateTimeOffset(local, offset);
            }
        }
        else
        {
            yield return new DateTimeOffset(local, Zone.GetUtcOffset(local));
        }
    }

    // The first instant whose wall clock shows a time after local, which the clocks skip: found by
    // halving a span of 28 hours (wider than any zone's offset) down to a second.
    private DateTimeOffset GapEnd(DateTime local)
    {
        var low = new DateTimeOffset(local - TimeSpan.FromHours(14), TimeSpan.Zero);
        var high = new DateTimeOffset(local + TimeSpan.FromHours(14), TimeSpan.Zero);
        while (high - low > TimeSpan.FromSeconds(1))
        {
            var middle = low + ((high - low) / 2);
            if (TimeZoneInfo.ConvertTime(middle, Zone).DateTime > local)
            {
                high = middle;
            }
            else
            {
                low = middle;
            }
        }

        return new DateTimeOffset(high.Ticks - (high.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
    }

    private static DayOfWeek? ParseDay(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return null;
        }

        foreach (var day in Enum.GetValues<DayOfWeek>())
        {
            var full = day.ToString();
            if (string.Equals(name.Trim(), full, StringComparison.OrdinalIgnoreCase)
                || string.Equals(name.Trim(), full[..3], StringComparison.OrdinalIgnoreCase))
            {
                return day;
            }
        }

        return null;
    }

    private static TimeSpan? ParseTime(string? text, bool allowEndOfDay, string key, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            errors.Add($"{key}: required, a local time as HH:mm or HH:mm:ss.");
            return null;
        }

        var match = TimeText().Match(text.Trim());
        if (match.Success)
        {
            var hours = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            var minutes = int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
            var seconds = match.Groups[3].Success ? int.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture) : 0;
            var time = new TimeSpan(hours, minutes, seconds);
            if (hours < 24 && minutes < 60 && seconds < 60)
            {
                return time;
            }

            if (allowEndOfDay && time == Day)
            {
                return time;
            }
        }

        errors.Add($"{key}: '{text}' is not a local time as HH:mm or HH:mm:ss (00:00 to 23:59:59{(allowEndOfDay ? ", or 24:00" : "")}).");
        return null;
    }

    private static TimeZoneInfo? FindZone(string? id, string key, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            return TimeZoneInfo.Utc;
        }

        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id.Trim());
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            errors.Add($"{key}: unknown time zone '{id}'; use an IANA id such as Europe/Berlin or America/New_York.");
            return null;
        }
    }

    [GeneratedRegex(@"^(\d{2}):(\d{2})(?::(\d{2}))?$", RegexOptions.CultureInvariant)]
    private static partial Regex TimeText();
}
