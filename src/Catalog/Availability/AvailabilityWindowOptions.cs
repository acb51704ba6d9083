namespace Dispatcher.Catalog.Availability;

/// <summary>
/// One availability window of a deployment or a routing rule: on the given days, from
/// <see cref="From"/> to <see cref="To"/> local time in <see cref="TimeZone"/>. A window whose
/// <see cref="To"/> is not after its <see cref="From"/> crosses midnight (22:00–06:00), and its
/// second half belongs to the day it started on.
/// </summary>
public sealed class AvailabilityWindowOptions
{
    /// <summary>
    /// The days the window starts on: English day names or their first three letters
    /// (<c>Saturday</c>, <c>sat</c>). Unset or empty: every day.
    /// </summary>
    public List<string> Days { get; set; } = [];

    /// <summary>When the window opens, local time, <c>HH:mm</c> or <c>HH:mm:ss</c>.</summary>
    public string? From { get; set; }

    /// <summary>When the window closes, local time, <c>HH:mm</c> or <c>HH:mm:ss</c>; <c>24:00</c> for the end of the day.</summary>
    public string? To { get; set; }

    /// <summary>An IANA time zone id (<c>Europe/Berlin</c>, <c>America/New_York</c>); unset: UTC.</summary>
    public string? TimeZone { get; set; }
}
