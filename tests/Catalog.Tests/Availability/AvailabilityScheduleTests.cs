using Dispatcher.Catalog.Availability;

namespace Dispatcher.Catalog.Tests.Availability;

public sealed class AvailabilityScheduleTests
{
    private static AvailabilitySchedule Schedule(params AvailabilityWindowOptions[] windows)
    {
        var errors = new List<string>();
        var schedule = AvailabilitySchedule.Compile(windows, "s", errors);
        errors.ShouldBeEmpty();
        return schedule!;
    }

    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text + "Z", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Compile_NoWindows_IsNull() =>
        AvailabilitySchedule.Compile([], "s", []).ShouldBeNull();

    [Fact]
    public void NextOpening_SeveralWindows_EarliestWins()
    {
        var schedule = Schedule(
            new AvailabilityWindowOptions { From = "22:00", To = "06:00" },
            new AvailabilityWindowOptions { From = "12:00", To = "13:00" });

        var next = schedule.NextOpening(Utc("2026-12-07T10:00:00")).ShouldNotBeNull();

        next.At.ShouldBe(Utc("2026-12-07T12:00:00"));
        next.Window.Index.ShouldBe(1);
    }

    [Fact]
    public void OpenWindow_InsideTheSecond_IsTheSecond() =>
        Schedule(
            new AvailabilityWindowOptions { From = "22:00", To = "06:00" },
            new AvailabilityWindowOptions { From = "12:00", To = "13:00" })
            .OpenWindow(Utc("2026-12-07T12:30:00"))!.Index.ShouldBe(1);

    [Fact]
    public void Closure_SameLocalDay_NamesTimeZoneAndWindow() =>
        Schedule(new AvailabilityWindowOptions { From = "22:00", To = "06:00", TimeZone = "Europe/Berlin" })
            .Closure(Utc("2026-12-07T10:00:00"))
            .ShouldBe("closed until 22:00 Europe/Berlin, window 0");

    [Fact]
    public void Closure_AnotherDay_NamesTheDay() =>
        Schedule(
            new AvailabilityWindowOptions { From = "09:00", To = "17:00", Days = ["Mon"] },
            new AvailabilityWindowOptions { From = "00:00", To = "24:00", Days = ["Saturday", "Sunday"] })
            .Closure(Utc("2026-12-09T18:00:00")) // a Wednesday
            .ShouldBe("closed until Sat 00:00 UTC, window 1");
}
