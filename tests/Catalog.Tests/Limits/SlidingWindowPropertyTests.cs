using CsCheck;
using Dispatcher.Catalog.Limits;

namespace Dispatcher.Catalog.Tests.Limits;

/// <summary>
/// Properties of the sliding window over generated histories. Every moment is a whole number of
/// 64ths of the window and every amount a whole number, so the window's double arithmetic is
/// exact: a call that leaves at the very instant another arrives is a case the generator hits
/// often, and the properties can ask for exact answers at such boundaries.
/// </summary>
public sealed class SlidingWindowPropertyTests
{
    private const double Steps = 64; // moments are whole multiples of a 64th of the window

    private static readonly Gen<int> Limits = Gen.Int[1, 40];
    private static readonly Gen<int> WindowSeconds = Gen.Int[1, 120];

    [Fact]
    public void Fits_AdmittedOnArrival_NoWindowLengthIntervalHoldsMoreThanTheLimit()
    {
        // How the simulated provider uses it: whatever fits is counted from its arrival. It must
        // refuse exactly what would put more than the limit in the last window, and an amount
        // above the limit only when the window holds anything at all.
        var arrivals = Gen.Select(Gen.Int[0, 12], Gen.Double[0, 1.3]).Array[1, 150];
        Gen.Select(Limits, WindowSeconds, arrivals).Sample((limit, length, steps) =>
        {
            var window = new SlidingWindow(limit, length);
            var admitted = new List<(double At, int Amount)>();
            var oldest = 0; // the first admission still in the last window
            var held = 0;
            var now = 0.0;
            foreach (var (gap, share) in steps)
            {
                now += gap * length / Steps;
                for (; oldest < admitted.Count && admitted[oldest].At <= now - length; oldest++)
                {
                    held -= admitted[oldest].Amount;
                }

                var amount = Math.Max(1, (int)Math.Ceiling(share * limit));
                var wouldFit = held + amount <= limit || (oldest == admitted.Count && amount > limit);

                var fits = window.Fits(amount, now);

                fits.ShouldBe(wouldFit, $"{amount} at {now} with {held} of {limit} in the window");
                if (fits)
                {
                    window.Add(amount, now, now);
                    admitted.Add((now, amount));
                    held += amount;
                }
            }

            NoIntervalHoldsMoreThan(admitted, limit, length);
        }, iter: 1_000, print: Print);
    }

    [Fact]
    public void Fits_ReservedThenSettledOrReleased_CountsExactlyWhatTheContractCounts()
    {
        // How the dispatcher uses it: a reservation that fits is opened, then settled at what the
        // call used (its receipt taken no earlier than the reservation, no later than the
        // settle), released, or left open until it goes stale. At every step the window must
        // hold exactly what its contract says and refuse exactly what would overflow it; in the
        // end no window-length interval may hold more than the limit as counted from the
        // receipts (a stale reservation taken as received when it was made).
        var ops = Gen.Select(
            Gen.Frequency((6, OpKind.Reserve), (5, OpKind.Settle), (1, OpKind.Release), (1, OpKind.Idle)),
            Gen.Int[0, 12],
            Gen.Double[0, 1.3],
            Gen.Double[0, 1],
            Gen.Double[0, 1],
            (kind, gap, amount, pick, receipt) => new Op(kind, gap, amount, pick, receipt)).Array[1, 250];
        Gen.Select(Limits, WindowSeconds, ops).Sample((limit, length, history) =>
        {
            var window = new SlidingWindow(limit, length);
            var entries = new List<Entry>();
            var live = new List<Entry>(); // open, or settled and still in the window
            var unit = length / Steps;
            var now = 0.0;
            long sequence = 0;
            foreach (var op in history)
            {
                // An idle stretch of a third of the cap now and then lets reservations go stale.
                now += op.Kind == OpKind.Idle ? Math.Ceiling(window.OpenCapSeconds / 3 / unit) * unit : op.Gap * unit;
                foreach (var e in live.Where(e => e.State == State.Open && e.ReservedAt + window.OpenCapSeconds <= now))
                {
                    e.State = State.Stale;
                }

                Forget();

                switch (op.Kind)
                {
                    case OpKind.Reserve:
                        var amount = Math.Max(1, (int)Math.Ceiling(op.Amount * limit));
                        var held = live.Sum(e => e.Amount);
                        var wouldFit = held + amount <= limit || (live.Count == 0 && amount > limit);
                        var fits = window.Fits(amount, now);
                        fits.ShouldBe(wouldFit, $"{amount} at {now} with {held} of {limit} held");
                        if (fits)
                        {
                            window.Open(++sequence, amount, now);
                            entries.Add(new Entry(sequence, now, amount));
                            live.Add(entries[^1]);
                        }

                        break;
                    case OpKind.Settle when entries.Count > 0:
                        var e = entries[Recent(entries.Count, op.Pick, limit)];
                        var used = (int)Math.Floor(op.Amount / 1.3 * e.Amount);
                        // From a moment before the reservation to one after now: the window clamps.
                        var steps = Math.Round((now - e.ReservedAt) / unit);
                        var receivedAt = e.ReservedAt + ((Math.Floor(op.Receipt * (steps + 3)) - 1) * unit);
                        window.Settle(e.Sequence, used, receivedAt, now).ShouldBe(e.State == State.Open, $"settle of {e.Sequence}, {e.State}");
                        if (e.State == State.Open)
                        {
                            e.State = State.Settled;
                            e.Amount = used;
                            e.At = Math.Min(Math.Max(receivedAt, e.ReservedAt), now);
                        }

                        break;
                    case OpKind.Release when entries.Count > 0:
                        var r = entries[Recent(entries.Count, op.Pick, limit)];
                        window.Release(r.Sequence, now).ShouldBe(r.State == State.Open, $"release of {r.Sequence}, {r.State}");
                        if (r.State == State.Open)
                        {
                            r.State = State.Released;
                        }

                        break;
                }

                Forget(); // a call settled as received a window ago or more leaves at once
                window.Sum(now).ShouldBe(live.Sum(e => e.Amount), $"held at {now}");
                window.OpenCount.ShouldBe(live.Count(e => e.State == State.Open), $"open at {now}");
            }

            void Forget() => live.RemoveAll(e => e.State is State.Stale or State.Released || (e.State == State.Settled && e.At + length <= now));

            var received = entries
                .Where(e => e.State is State.Settled or State.Stale)
                .Select(e => (e.State == State.Stale ? e.ReservedAt : e.At, e.Amount))
                .ToList();
            NoIntervalHoldsMoreThan(received, limit, length);
        }, iter: 1_000, print: Print);
    }

    [Fact]
    public void SecondsUntil_AnyHistory_IsTheFirstMomentTheAmountFits()
    {
        SecondsUntilIsExact(minimumSettled: 1);
    }

    [Fact]
    public void SecondsUntil_ZeroAmountEntriesAndOversizedAmount_IsTheFirstMomentTheAmountFits()
    {
        SecondsUntilIsExact(minimumSettled: 0);
    }

    // After any history (reservations regardless of the limit, as seeded calls are added
    // regardless of it, settles, releases, calls added at past receipts), SecondsUntil answers 0
    // exactly when the amount fits; otherwise, when departures alone make room, the amount fits
    // at that moment and not a moment before; when only a settle can make room, the window's
    // length, at which the amount still does not fit. The history is shorter than the cap, so
    // no reservation goes stale and frees room earlier.
    private static void SecondsUntilIsExact(int minimumSettled)
    {
        var ops = Gen.Select(
            Gen.Frequency((4, OpKind.Reserve), (4, OpKind.Settle), (1, OpKind.Release), (2, OpKind.Add)),
            Gen.Int[0, 4],
            Gen.Double[0, 1.3],
            Gen.Double[0, 1],
            Gen.Double[0, 1],
            (kind, gap, amount, pick, receipt) => new Op(kind, gap, amount, pick, receipt)).Array[0, 100];
        Gen.Select(Limits, WindowSeconds, ops, Gen.Double[0, 1.5]).Sample((limit, length, history, probe) =>
        {
            var window = new SlidingWindow(limit, length);
            var open = new List<(long Sequence, int Amount)>();
            var unit = length / Steps;
            var now = 0.0;
            long sequence = 0;
            foreach (var op in history)
            {
                now += op.Gap * unit;
                var amount = Math.Max(minimumSettled, (int)Math.Floor(op.Amount * limit));
                switch (op.Kind)
                {
                    case OpKind.Reserve:
                        window.Open(++sequence, Math.Max(1, amount), now);
                        open.Add((sequence, Math.Max(1, amount)));
                        break;
                    case OpKind.Settle when open.Count > 0:
                        var i = (int)(op.Pick * (open.Count - 1));
                        window.Settle(open[i].Sequence, amount, now - (Math.Floor(op.Receipt * Steps) * unit), now).ShouldBeTrue();
                        open.RemoveAt(i);
                        break;
                    case OpKind.Release when open.Count > 0:
                        var j = (int)(op.Pick * (open.Count - 1));
                        window.Release(open[j].Sequence, now).ShouldBeTrue();
                        open.RemoveAt(j);
                        break;
                    case OpKind.Add:
                        window.Add(amount, now - (Math.Floor(op.Receipt * Steps) * unit), now);
                        break;
                }
            }

            var wanted = Math.Max(1, (int)Math.Ceiling(probe * limit));
            var openSum = open.Sum(o => o.Amount);
            var onlyASettleHelps = wanted <= limit ? openSum + wanted > limit : open.Count > 0;

            var seconds = window.SecondsUntil(wanted, now);

            window.Fits(wanted, now).ShouldBe(seconds == 0, $"SecondsUntil({wanted}) at {now} is {seconds}");
            if (seconds == 0)
            {
                return;
            }

            if (onlyASettleHelps)
            {
                seconds.ShouldBe(length);
                window.Fits(wanted, now + seconds).ShouldBeFalse("open reservations still count");
            }
            else
            {
                window.Fits(wanted, now + seconds - (unit / 2)).ShouldBeFalse($"{wanted} just before {now} + {seconds}");
                window.Fits(wanted, now + seconds).ShouldBeTrue($"{wanted} at {now} + {seconds}");
            }
        }, iter: 3_000, print: t => $"limit {t.Item1}, window {t.Item2} s, probe {t.Item4:R}, ops {Print(t.Item3)}");
    }

    // Mostly entries that may still be open, now and then one long settled or released.
    private static int Recent(int count, double pick, int limit) => count - 1 - (int)(pick * Math.Min(count - 1, (2 * limit) + 2));

    // The worst window-length interval of a history ends at one of its entries.
    private static void NoIntervalHoldsMoreThan(List<(double At, int Amount)> entries, int limit, double length)
    {
        var sorted = entries.OrderBy(e => e.At).ToList();
        var start = 0;
        var sum = 0;
        for (var end = 0; end < sorted.Count; end++)
        {
            sum += sorted[end].Amount;
            while (sorted[start].At <= sorted[end].At - length)
            {
                sum -= sorted[start].Amount;
                start++;
            }

            // An amount above the limit is admitted alone into an empty window, and stays alone.
            if (end > start)
            {
                sum.ShouldBeLessThanOrEqualTo(limit, $"held in the window ending at {sorted[end].At}");
            }
        }
    }

    private static string Print((int Limit, int Length, Op[] Ops) t) => $"limit {t.Limit}, window {t.Length} s, ops {Print(t.Ops)}";

    private static string Print((int Limit, int Length, (int Gap, double Share)[] Arrivals) t) =>
        $"limit {t.Limit}, window {t.Length} s, arrivals [{string.Join(", ", t.Arrivals.Select(a => $"+{a.Gap}:{a.Share:0.###}"))}]";

    private static string Print(Op[] ops) => $"[{string.Join(", ", ops.Select(o => $"{o.Kind} +{o.Gap} {o.Amount:0.###}/{o.Pick:0.###}/{o.Receipt:0.###}"))}]";

    private enum OpKind
    {
        Reserve,
        Settle,
        Release,
        Add,
        Idle,
    }

    private enum State
    {
        Open,
        Settled,
        Released,
        Stale,
    }

    private readonly record struct Op(OpKind Kind, int Gap, double Amount, double Pick, double Receipt);

    private sealed class Entry(long sequence, double reservedAt, int amount)
    {
        public long Sequence { get; } = sequence;

        public double ReservedAt { get; } = reservedAt;

        public int Amount { get; set; } = amount;

        public double At { get; set; }

        public State State { get; set; }
    }
}
