using Dispatcher.Catalog.Limits;

namespace Dispatcher.Catalog.Tests.Limits;

public sealed class SlidingWindowTests
{
    [Fact]
    public void Fits_WindowFull_RefusesUntilOldestLeaves()
    {
        var window = new SlidingWindow(limit: 10, windowSeconds: 60);
        window.Add(6, at: 0, now: 0);
        window.Add(4, at: 30, now: 30);

        window.Fits(1, 59).ShouldBeFalse();
        window.SecondsUntil(1, 59).ShouldBe(1, 1e-9);
        window.Fits(6, 60).ShouldBeTrue();
        window.Fits(7, 60).ShouldBeFalse();
        window.SecondsUntil(7, 60).ShouldBe(30, 1e-9);
    }

    [Fact]
    public void Open_NotSettled_NeverAgesOutWithinTheCap()
    {
        var window = new SlidingWindow(10, 60);
        window.Open(1, 6, now: 0);

        window.Sum(599).ShouldBe(6);
        window.Fits(5, 599).ShouldBeFalse();
        window.OpenCount.ShouldBe(1);
    }

    [Fact]
    public void SecondsUntil_OnlyOpenEntriesBlock_IsTheWindowLength()
    {
        var window = new SlidingWindow(10, 60);
        window.Add(2, at: 0, now: 0);
        window.Open(1, 6, now: 0);

        window.SecondsUntil(2, 30).ShouldBe(0);
        window.SecondsUntil(4, 30).ShouldBe(30, 1e-9, "the settled entry leaves at 60");
        window.SecondsUntil(5, 30).ShouldBe(60, 1e-9, "only a settle can make room: no time is known");
    }

    [Fact]
    public void Settle_CountsTheSettledAmountFromItsReceipt()
    {
        var window = new SlidingWindow(100, 60);
        window.Open(7, 80, now: 0);

        window.Settle(7, 30, receivedAt: 10, now: 50).ShouldBeTrue();

        window.Sum(50).ShouldBe(30);
        window.OpenCount.ShouldBe(0);
        window.Sum(69.9).ShouldBe(30);
        window.Sum(70).ShouldBe(0);
    }

    [Theory]
    [InlineData(10.0, 0.0, 70.0)] // received before the reservation: counted from the reservation
    [InlineData(0.0, 30.0, 80.0)] // received after now: counted from now
    public void Settle_ReceiptOutsideReservationToNow_CountsFromTheNearestOfThem(double reservedAt, double receivedAt, double leavesAt)
    {
        var window = new SlidingWindow(100, 60);
        window.Open(1, 5, now: reservedAt);

        window.Settle(1, 5, receivedAt, now: 20);

        window.Sum(leavesAt - 0.1).ShouldBe(5);
        window.Sum(leavesAt).ShouldBe(0);
    }

    [Fact]
    public void Settle_OutOfReceiptOrder_EvictsEachAtItsOwnTime()
    {
        var window = new SlidingWindow(3, 60);
        window.Open(1, 1, 0);
        window.Open(2, 1, 0);
        window.Open(3, 1, 0);

        window.Settle(3, 1, receivedAt: 5, now: 30);
        window.Settle(1, 1, receivedAt: 20, now: 30);
        window.Settle(2, 1, receivedAt: 10, now: 30);

        window.SecondsUntil(1, 30).ShouldBe(35, 1e-9);
        window.SecondsUntil(2, 30).ShouldBe(40, 1e-9);
        window.SecondsUntil(3, 30).ShouldBe(50, 1e-9);
        window.Sum(64.9).ShouldBe(3);
        window.Sum(65).ShouldBe(2);
        window.Sum(70).ShouldBe(1);
        window.Sum(80).ShouldBe(0);
    }

    [Fact]
    public void Open_OlderThanTheCap_IsDropped()
    {
        var window = new SlidingWindow(100, 60);
        window.OpenCapSeconds.ShouldBe(600);
        window.Open(1, 5, now: 0);
        window.Open(2, 7, now: 300);

        window.Sum(599.9).ShouldBe(12);
        window.Sum(600).ShouldBe(7);
        window.OpenCount.ShouldBe(1);
        window.Settle(1, 5, receivedAt: 599, now: 601).ShouldBeFalse("the window no longer holds it (its owner counts the call anew: DeploymentQuota.Settle)");
        window.Sum(601).ShouldBe(7);
        window.Sum(900).ShouldBe(0);
    }

    [Fact]
    public void Open_ReservedBeforeNow_CountsUntilSettledOrTheCapAfterItsReservation()
    {
        var window = new SlidingWindow(100, 60);
        window.Open(1, 5, reservedAt: -500, now: 0);
        window.Open(2, 7, reservedAt: -100, now: 0);

        window.Sum(99.9).ShouldBe(12);
        window.Sum(100).ShouldBe(7, "the first was reserved 600 s before");
        window.Settle(2, 3, receivedAt: 90, now: 101).ShouldBeTrue();
        window.Sum(149.9).ShouldBe(3);
        window.Sum(150).ShouldBe(0);
    }

    [Fact]
    public void CanOpen_OnlyASequenceAboveEveryOneHeld()
    {
        var window = new SlidingWindow(10, 60);
        window.CanOpen(5).ShouldBeTrue();
        window.Open(5, 1, 0);

        window.CanOpen(5).ShouldBeFalse();
        window.CanOpen(4).ShouldBeFalse();
        window.CanOpen(6).ShouldBeTrue();
    }

    [Fact]
    public void OpenCapSeconds_LongWindow_IsTenWindows()
    {
        new SlidingWindow(1, 120).OpenCapSeconds.ShouldBe(1200);
        new SlidingWindow(1, 5).OpenCapSeconds.ShouldBe(600);
    }

    [Fact]
    public void Settle_UnknownOrRepeatedSequence_ChangesNothing()
    {
        var window = new SlidingWindow(100, 60);
        window.Open(5, 10, 0);

        window.Settle(99, 3, 0, 1).ShouldBeFalse();
        window.Settle(2, 3, 0, 1).ShouldBeFalse();
        window.Release(98, 1).ShouldBeFalse();
        window.Sum(1).ShouldBe(10);

        window.Settle(5, 3, 0, 1).ShouldBeTrue();
        window.Settle(5, 0, 0, 1).ShouldBeFalse();
        window.Release(5, 1).ShouldBeFalse();
        window.Sum(1).ShouldBe(3);
    }

    [Fact]
    public void Release_LeavesTheWindowAtOnce()
    {
        var window = new SlidingWindow(10, 60);
        window.Open(1, 6, 0);
        window.Open(2, 4, 0);

        window.Release(1, 1).ShouldBeTrue();

        window.Sum(1).ShouldBe(4);
        window.OpenCount.ShouldBe(1);
        window.Fits(6, 1).ShouldBeTrue();
    }

    [Fact]
    public void Open_SequenceNotIncreasing_Throws()
    {
        var window = new SlidingWindow(10, 60);
        window.Open(5, 1, 0);

        Should.Throw<ArgumentOutOfRangeException>(() => window.Open(5, 1, 0));
    }

    [Fact]
    public void Fits_AmountAboveLimit_OnlyIntoAnEmptyWindow()
    {
        var window = new SlidingWindow(10, 60);

        window.Fits(15, 0).ShouldBeTrue();
        window.Open(1, 15, 0);
        window.Fits(1, 30).ShouldBeFalse();
        window.Settle(1, 15, 0, 30);
        window.Fits(1, 59).ShouldBeFalse();
        window.Fits(15, 60).ShouldBeTrue();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Operations_RandomSequence_MatchACountOfEveryEntry(int seed)
    {
        // Many entries open at once, settled in random order with random starts, some released,
        // some left to go stale: the rings grow, wrap and shift, and must count what a plain
        // list of every entry counts.
        const double length = 10;
        var random = new Random(seed);
        var window = new SlidingWindow(limit: 2_000, length);
        var entries = new List<Model>();
        var now = 0.0;
        long sequence = 0;
        for (var step = 0; step < 5_000; step++)
        {
            now += random.NextDouble() * 0.5;
            var open = entries.Where(e => e.State == State.Open && e.ReservedAt + window.OpenCapSeconds > now).ToList();
            var roll = random.Next(10);
            if (roll < 5 || open.Count == 0)
            {
                var amount = 1 + random.Next(100);
                window.Open(++sequence, amount, now);
                entries.Add(new Model(sequence, now, amount));
            }
            else
            {
                var e = open[random.Next(open.Count)];
                if (roll < 9)
                {
                    var amount = random.Next(100);
                    var startedAt = e.ReservedAt + (random.NextDouble() * (now - e.ReservedAt + 1)) - 0.5;
                    window.Settle(e.Sequence, amount, startedAt, now).ShouldBeTrue();
                    e.State = State.Settled;
                    e.Amount = amount;
                    e.At = Math.Min(Math.Max(startedAt, e.ReservedAt), now);
                }
                else
                {
                    window.Release(e.Sequence, now).ShouldBeTrue();
                    e.State = State.Released;
                }
            }

            // Stale ones once in a while: reservations the test forgets about.
            if (random.Next(500) == 0)
            {
                now += window.OpenCapSeconds / 3;
            }

            var expected = entries.Sum(e => e.State switch
            {
                State.Open when e.ReservedAt + window.OpenCapSeconds > now => e.Amount,
                State.Settled when e.At + length > now => e.Amount,
                _ => 0,
            });
            window.Sum(now).ShouldBe(expected, 1e-6, $"step {step}");
            window.OpenCount.ShouldBe(entries.Count(e => e.State == State.Open && e.ReservedAt + window.OpenCapSeconds > now));
            window.SecondsUntil(500, now).ShouldBe(SecondsUntil(entries, expected + 500 - 2_000, length, now), 1e-6, $"step {step}");
        }
    }

    // The oldest-starting settled calls leave first; when they are not enough, only settles help.
    private static double SecondsUntil(List<Model> entries, double excess, double length, double now)
    {
        if (excess <= 0)
        {
            return 0;
        }

        foreach (var e in entries.Where(e => e.State == State.Settled && e.At + length > now).OrderBy(e => e.At))
        {
            excess -= e.Amount;
            if (excess <= 0)
            {
                return e.At + length - now;
            }
        }

        return length;
    }

    private enum State
    {
        Open,
        Settled,
        Released,
    }

    private sealed class Model(long sequence, double reservedAt, double amount)
    {
        public long Sequence { get; } = sequence;

        public double ReservedAt { get; } = reservedAt;

        public double Amount { get; set; } = amount;

        public double At { get; set; }

        public State State { get; set; }
    }
}
