using Dispatcher.Quotas;

namespace Dispatcher.Tests.Quotas;

public sealed class SlidingWindowTests
{
    [Fact]
    public void Fits_WindowFull_RefusesUntilOldestLeaves()
    {
        var window = new SlidingWindow(limit: 10, windowSeconds: 60);
        window.Add(1, 6, now: 0);
        window.Add(2, 4, now: 30);

        window.Fits(1, 59).ShouldBeFalse();
        window.SecondsUntil(1, 59).ShouldBe(1, 1e-9);
        window.Fits(6, 60).ShouldBeTrue();
        window.Fits(7, 60).ShouldBeFalse();
        window.SecondsUntil(7, 60).ShouldBe(30, 1e-9);
    }

    [Fact]
    public void Adjust_SettledSmaller_FreesTheDifference()
    {
        var window = new SlidingWindow(100, 60);
        window.Add(7, 80, 0);

        window.Adjust(7, 30, 1);

        window.Sum(1).ShouldBe(30);
        window.Fits(70, 1).ShouldBeTrue();
    }

    [Fact]
    public void Adjust_EntryAlreadyLeft_ChangesNothing()
    {
        var window = new SlidingWindow(100, 10);
        window.Add(1, 50, 0);
        window.Add(2, 20, 8);

        window.Adjust(1, 0, 11);

        window.Sum(11).ShouldBe(20);
    }

    [Fact]
    public void Add_ManyEntries_GrowsAndKeepsTheSum()
    {
        var window = new SlidingWindow(1_000_000, 1000);
        for (var i = 0; i < 500; i++)
        {
            window.Add(i, 2, i * 0.5);
        }

        window.Sum(250).ShouldBe(1000);
        window.Adjust(499, 0, 250);
        window.Sum(250).ShouldBe(998);
    }

    [Fact]
    public void Fits_AmountAboveLimit_OnlyIntoAnEmptyWindow()
    {
        var window = new SlidingWindow(10, 60);

        window.Fits(15, 0).ShouldBeTrue();
        window.Add(1, 15, 0);
        window.Fits(1, 30).ShouldBeFalse();
    }
}
