using Dispatcher.Catalog.Availability;

namespace Dispatcher.Catalog.Tests.Availability;

public sealed class AvailabilityWindowTests
{
    private static AvailabilityWindow Window(string from, string to, string? zone = null, params string[] days)
    {
        var errors = new List<string>();
        var window = AvailabilityWindow.Compile(new AvailabilityWindowOptions { From = from, To = to, TimeZone = zone, Days = [.. days] }, 0, "w", errors);
        errors.ShouldBeEmpty();
        return window!;
    }

    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text + "Z", System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("2026-12-07T08:59:59", false)]
    [InlineData("2026-12-07T09:00:00", true)]
    [InlineData("2026-12-07T16:59:59", true)]
    [InlineData("2026-12-07T17:00:00", false)]
    public void IsOpen_SameDayWindow_OpenFromInclusiveToExclusive(string at, bool open) =>
        Window("09:00", "17:00").IsOpen(Utc(at)).ShouldBe(open);

    [Theory]
    [InlineData("2026-12-07T21:59:59", false)] // Monday evening before it opens
    [InlineData("2026-12-07T22:00:00", true)]
    [InlineData("2026-12-08T05:59:59", true)] // Tuesday morning: Monday's window still
    [InlineData("2026-12-08T06:00:00", false)]
    [InlineData("2026-12-08T22:30:00", false)] // Tuesday evening: not one of its days
    [InlineData("2026-12-07T03:00:00", false)] // Monday morning: Sunday's window, not one of its days
    public void IsOpen_CrossingMidnight_SecondHalfBelongsToTheStartDay(string at, bool open) =>
        Window("22:00", "06:00", null, "Monday").IsOpen(Utc(at)).ShouldBe(open);

    [Theory]
    [InlineData("2026-12-05T00:00:00", true)] // Saturday
    [InlineData("2026-12-06T23:59:59", true)] // Sunday's last second
    [InlineData("2026-12-07T00:00:00", false)] // Monday
    [InlineData("2026-12-04T23:59:59", false)] // Friday
    public void IsOpen_WeekendWholeDays_OpenSaturdayAndSunday(string at, bool open) =>
        Window("00:00", "24:00", null, "sat", "Sun").IsOpen(Utc(at)).ShouldBe(open);

    [Theory]
    [InlineData("2026-12-07T20:59:59", false)] // 21:59:59 in Berlin (UTC+1 in winter)
    [InlineData("2026-12-07T21:00:00", true)] // 22:00 in Berlin
    [InlineData("2026-07-06T20:00:00", true)] // 22:00 in Berlin (UTC+2 in summer)
    [InlineData("2026-07-06T19:59:59", false)]
    public void IsOpen_NamedZone_ReadsTheZonesWallClock(string at, bool open) =>
        Window("22:00", "06:00", "Europe/Berlin").IsOpen(Utc(at)).ShouldBe(open);

    [Fact]
    public void NextOpening_Closed_IsTheNextStartOnOneOfItsDays()
    {
        // Wednesday 10:00 UTC; the window opens Saturdays at 08:00 New York time (UTC-5 in December).
        var window = Window("08:00", "12:00", "America/New_York", "Saturday");

        window.NextOpening(Utc("2026-12-09T10:00:00")).ShouldBe(Utc("2026-12-12T13:00:00"));
    }

    [Fact]
    public void NextOpening_Open_IsNow()
    {
        var now = Utc("2026-12-07T23:00:00");

        Window("22:00", "06:00").NextOpening(now).ShouldBe(now);
    }

    [Fact]
    public void NextOpening_SpringForwardGap_WindowInsideTheGapNeverOpensThatNight()
    {
        // Europe/Berlin skips 02:00–03:00 on 29 March 2026: that night's window is empty, so the
        // next opening is the following night's 02:00 (UTC+2).
        var window = Window("02:00", "03:00", "Europe/Berlin");

        for (var at = Utc("2026-03-29T00:00:00"); at < Utc("2026-03-29T02:00:00"); at = at.AddMinutes(1))
        {
            window.IsOpen(at).ShouldBeFalse();
        }

        window.NextOpening(Utc("2026-03-28T23:00:00")).ShouldBe(Utc("2026-03-30T00:00:00"));
    }

    [Fact]
    public void NextOpening_StartsInSpringForwardGap_OpensWhenTheGapEnds()
    {
        // 02:30 does not exist on 29 March 2026 in Berlin; the wall clock jumps from 02:00 CET
        // (01:00 UTC) to 03:00 CEST, inside 02:30–04:00, so the window opens then for an hour.
        var window = Window("02:30", "04:00", "Europe/Berlin");

        window.NextOpening(Utc("2026-03-28T23:00:00")).ShouldBe(Utc("2026-03-29T01:00:00"));
        window.IsOpen(Utc("2026-03-29T01:59:59")).ShouldBeTrue();
        window.IsOpen(Utc("2026-03-29T02:00:00")).ShouldBeFalse();
    }

    [Fact]
    public void IsOpen_FallBack_RepeatedHourSpansBothOccurrences()
    {
        // New York repeats 01:00–02:00 on 1 November 2026 (EDT, then EST): a window 01:00–02:00
        // is open for two hours, 05:00–07:00 UTC.
        var window = Window("01:00", "02:00", "America/New_York");

        window.IsOpen(Utc("2026-11-01T04:59:59")).ShouldBeFalse();
        window.IsOpen(Utc("2026-11-01T05:00:00")).ShouldBeTrue();
        window.IsOpen(Utc("2026-11-01T06:30:00")).ShouldBeTrue();
        window.IsOpen(Utc("2026-11-01T07:00:00")).ShouldBeFalse();
    }

    [Fact]
    public void NextOpening_FallBack_ShortWindowOpensAtBothOccurrences()
    {
        // 01:30–01:45 occurs twice in New York on 1 November 2026: at 05:30 UTC (EDT) and at 06:30 UTC (EST).
        var window = Window("01:30", "01:45", "America/New_York");

        window.NextOpening(Utc("2026-11-01T04:00:00")).ShouldBe(Utc("2026-11-01T05:30:00"));
        window.NextOpening(Utc("2026-11-01T05:50:00")).ShouldBe(Utc("2026-11-01T06:30:00"));
    }

    [Fact]
    public void Description_NamesDaysTimesAndZone() =>
        Window("22:00", "06:00:30", "Europe/Berlin", "Fri", "Monday").Description.ShouldBe("Mon,Fri 22:00–06:00:30 Europe/Berlin");
}
