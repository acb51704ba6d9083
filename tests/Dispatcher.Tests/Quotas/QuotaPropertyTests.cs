using System.Globalization;
using CsCheck;
using Dispatcher.Catalog;
using Dispatcher.Ledger;
using Dispatcher.Quotas;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Dispatcher.Tests.Quotas;

/// <summary>
/// For generated job streams against one deployment, no window of the configured length holds
/// more requests or tokens than the deployment allows, counted the way the provider counts
/// them: a call counts from when the provider receives it, after a wait in the worker's queue
/// and its way over the network, and its outcome reaches the dispatcher some time after the
/// answer, carrying the call's latency and, from a provider that states it, its own time on the
/// call. The quota book is driven as the router and the outcome consumer drive it, on fake time.
/// </summary>
/// <remarks>
/// Every duration is a whole number of units, a 128th of the window, and the window a whole
/// number of seconds: the quota's double arithmetic is then exact, so a call leaving the window
/// at the very moment another is admitted (which the generator makes common) is judged exactly
/// as the provider judges it.
/// </remarks>
public sealed class QuotaPropertyTests
{
    private const string Deployment = "d";
    private const int Window = 128; // units
    private const int Iterations = 1_000;

    private static readonly Gen<Limits> LimitsGen = Gen.Select(
        Gen.Int[1, 40],
        Gen.Int[20, 20_000],
        Gen.Double[0.01, 1],
        Gen.Int[5, 90],
        Gen.Int[0, 6],
        Gen.Bool,
        Gen.Double[0.01, 0.5],
        (rpm, tpm, burst, seconds, padding, statesTime, largest) => new Limits(rpm, tpm, burst, seconds, padding, statesTime, largest));

    private static readonly Gen<Restart[]> RestartsGen =
        Gen.Select(Gen.Double[0, 1], Gen.Int[1, 64], (at, downtime) => new Restart(at, downtime)).Array[1, 3];

    [Fact]
    public void Admissions_UsageWithinTheReservation_NeverExceedTheProvidersWindow()
    {
        // Successes using up to what was reserved, failures (the provider counts the request, not
        // tokens) retried as new reservations, 429s the provider did not count, reservations
        // released before their call was sent, outcomes that never come back.
        Holds(Gen.Select(LimitsGen, Steps(overage: false)), (limits, steps) => Simulation.Run(limits, steps, [], retries: true));
    }

    [Fact]
    public void Admissions_UsageAboveTheReservation_ExceedTheTokenLimitOnlyByOveragesNotYetSettled()
    {
        // A call may use more than reserved (the prompt estimate was low). The overage is known
        // only at the settle, after the provider counted it: it is charged to the bucket and
        // counted in the window from then on, but calls admitted before it was known can put
        // the provider's window over the token limit. Never by more than the overages not yet
        // settled when the window's last call was admitted; requests stay within the limit.
        Holds(Gen.Select(LimitsGen, Steps(overage: true)), (limits, steps) => Simulation.Run(limits, steps, [], retries: true));
    }

    [Fact]
    public void Admissions_AcrossRestarts_NeverExceedTheProvidersWindow()
    {
        // The dispatcher stops now and then; calls in flight go on and their outcomes wait in the
        // broker for the next process, which restores the saved bucket levels and seeds its
        // windows from the ledger's attempts, as QuotaPersistence does: those settled in the last
        // window as they were settled, those under way held open until their outcome arrives.
        // Failed attempts are final: a retry is the case below.
        Holds(
            Gen.Select(LimitsGen, Steps(overage: true), RestartsGen),
            (limits, steps, restarts) => Simulation.Run(limits, steps, restarts, retries: false));
    }

    [Fact]
    public void Admissions_RetriedBeforeARestart_NeverExceedTheProvidersWindow()
    {
        Holds(
            Gen.Select(LimitsGen, Steps(overage: false), RestartsGen),
            (limits, steps, restarts) => Simulation.Run(limits, steps, restarts, retries: true));
    }

    [Fact]
    public void Restore_LevelsSavedAtStop_RestartedBookHoldsTheLevelsTheStoppedOneWould()
    {
        // A restarted dispatcher hands out no fresh burst: the levels it restores, refilled for
        // the downtime, are what the stopped book would hold now, debts from overages included.
        var ops = Gen.Select(Gen.Int[0, 2_000], Gen.Double[0, 1], Gen.Double[0, 2], Gen.Int[0, 3], (gap, size, used, kind) => (gap, size, used, kind)).Array[0, 60];
        Gen.Select(LimitsGen, ops, Gen.Int[0, 120_000]).Sample((limits, history, downtimeMs) =>
        {
            var time = new FakeTimeProvider();
            var before = Book(limits, time);
            var open = new List<(long Sequence, int Tokens)>();
            foreach (var (gap, size, used, kind) in history)
            {
                time.Advance(TimeSpan.FromMilliseconds(gap));
                var tokens = 1 + (int)(size * limits.LargestShare * limits.Tpm);
                if (kind == 0 || open.Count == 0)
                {
                    if (before[Deployment].CanAfford(tokens, before.Now))
                    {
                        open.Add((before.Reserve(Deployment, tokens), tokens));
                    }
                }
                else
                {
                    var (sequence, reserved) = open[^1];
                    open.RemoveAt(open.Count - 1);
                    if (kind == 3)
                    {
                        before.Release(Deployment, sequence, reserved);
                    }
                    else
                    {
                        before.Settle(Deployment, sequence, reserved, (int)(used * reserved), new CallTiming(TimeSpan.Zero, null), null, null);
                    }
                }
            }

            var saved = before.Levels();
            time.Advance(TimeSpan.FromMilliseconds(downtimeMs));
            var after = Book(limits, time);

            after.Restore(saved);

            var (requests, tokensLeft, _, _) = after[Deployment].Levels(after.Now);
            var (expectedRequests, expectedTokens, _, _) = before[Deployment].Levels(before.Now);
            requests.ShouldBe(expectedRequests, 1e-9 * limits.Rpm);
            tokensLeft.ShouldBe(expectedTokens, 1e-9 * limits.Tpm);
        }, iter: 1_000);
    }

    // Runs the property and checks it is not empty: in most streams the quota must have refused
    // some attempt after at least a window's worth of calls, or nothing was pressing against it.
    private static void Holds(Gen<(Limits, Step[])> gen, Func<Limits, Step[], Simulation.Result> run)
    {
        var pressed = 0;
        gen.Sample((a, b) => Provider(run(a, b), ref pressed), iter: Iterations, print: t => $"{t.Item1}, {Print(t.Item2)}");
        pressed.ShouldBeGreaterThan(Iterations / 2, "streams the quota held back");
    }

    private static void Holds(Gen<(Limits, Step[], Restart[])> gen, Func<Limits, Step[], Restart[], Simulation.Result> run)
    {
        var pressed = 0;
        gen.Sample((a, b, c) => Provider(run(a, b, c), ref pressed), iter: Iterations, print: t => $"{t.Item1}, {Print(t.Item2)}, {Print(t.Item3)}");
        pressed.ShouldBeGreaterThan(Iterations / 2, "streams the quota held back");
    }

    // The provider's count over every window that ends at a receipt (the worst case of its
    // neighbours): at most the request limit, and at most the token limit plus the overages the
    // quota could not know of when it admitted the last call of that window. The overage of a
    // call settled before then is in the window's count already (in the ledger's, across a
    // restart), so it leaves that much less room.
    private static void Provider(Simulation.Result result, ref int pressed)
    {
        var received = result.Receipts.OrderBy(r => r.At).ToList();
        var start = 0;
        long tokens = 0;
        for (var end = 0; end < received.Count; end++)
        {
            tokens += received[end].Tokens;
            while (received[start].At <= received[end].At - Window)
            {
                tokens -= received[start].Tokens;
                start++;
            }

            var held = received.GetRange(start, end - start + 1);
            var last = held.MaxBy(r => r.ReservedMoment)!;
            var unknown = held.Where(r => !r.KnownWhen(last)).Sum(r => (long)r.Overage);
            held.Count.ShouldBeLessThanOrEqualTo(result.Limits.Rpm, $"requests the provider received in the window ending at unit {received[end].At}");
            tokens.ShouldBeLessThanOrEqualTo(result.Limits.Tpm + unknown, $"tokens the provider received in the window ending at unit {received[end].At}, {unknown} of them over reservations not settled yet");
        }

        if (result.Refused > 0 && received.Count >= result.Limits.Rpm)
        {
            Interlocked.Increment(ref pressed);
        }
    }

    private static Gen<Step[]> Steps(bool overage)
    {
        (int, Kind)[] kinds = overage
            ? [(10, Kind.Success), (4, Kind.Overage), (2, Kind.Failed), (1, Kind.RateLimited), (1, Kind.NeverSent), (1, Kind.Lost)]
            : [(10, Kind.Success), (2, Kind.Failed), (1, Kind.RateLimited), (1, Kind.NeverSent), (1, Kind.Lost)];
        return Gen.Select(
            Gen.Int[0, 4],
            Gen.Double[0, 1],
            Gen.Frequency(kinds),
            Gen.Double[0, 1],
            Gen.Int[0, Window / 3],
            Gen.Int[0, 8],
            Gen.Int[0, Window / 4],
            Gen.Frequency((3, Gen.Const(0)), (1, Gen.Int[1, 8])), // outcomes mostly come back at once
            Gen.Int[0, 16],
            (gap, size, kind, usage, wait, network, processing, delay, retryDelay) =>
                new Step(gap, size, kind, usage, wait, network, processing, delay, retryDelay)).Array[1, 400];
    }

    private static QuotaBook Book(Limits limits, TimeProvider time) => new(
        Options.Create(new CatalogOptions
        {
            Deployments = [new DeploymentOptions { Id = Deployment, ModelGroup = "g", Rpm = limits.Rpm, Tpm = limits.Tpm, BurstFraction = limits.Burst }],
            QuotaWindow = TimeSpan.FromSeconds(limits.WindowSeconds),
            QuotaWindowPadding = limits.Padding / (double)Window,
        }),
        time);

    private static string Print(Step[] steps) =>
        $"{steps.Length} steps [{string.Join(", ", steps.Select(s => $"+{s.Gap} {s.Kind} {s.Size:0.##}/{s.Usage:0.##} wait {s.Wait} net {s.Network} took {s.Processing} late {s.Delay} retry {s.RetryDelay}"))}]";

    private static string Print(Restart[] restarts) =>
        $"restarts [{string.Join(", ", restarts.Select(r => $"at {r.At:0.###} down {r.Downtime}"))}]";

    private enum Kind
    {
        Success,
        Overage,
        Failed, // a 5xx or a timeout: the provider counted the request, and no tokens, as the dispatcher takes it
        RateLimited, // the provider refused and counted nothing
        NeverSent, // released before the call went out
        Lost, // the provider counted the call; its outcome never comes back
    }

    /// <summary>A deployment's limits, window (seconds) and padding (units); whether its provider states its own time on a call.</summary>
    private sealed record Limits(int Rpm, int Tpm, double Burst, int WindowSeconds, int Padding, bool StatesTime, double LargestShare)
    {
        public override string ToString() =>
            $"rpm {Rpm}, tpm {Tpm}, burst {Burst:0.###}, window {WindowSeconds} s, padding {Padding}, {(StatesTime ? "states its time" : "says nothing")}, largest {LargestShare:0.###} of tpm";
    }

    /// <summary>
    /// One dispatch attempt <see cref="Gap"/> units after the last: a retry that is due, else a
    /// new job. Durations in units; <see cref="Delay"/> is the outcome's way back to the
    /// dispatcher, or how long until a reservation never sent is released.
    /// </summary>
    private readonly record struct Step(int Gap, double Size, Kind Kind, double Usage, int Wait, int Network, int Processing, int Delay, int RetryDelay);

    /// <summary>A stop at a share of the stream's span, and the units until the next process starts.</summary>
    private readonly record struct Restart(double At, int Downtime);

    /// <summary>The stream run through quota books on fake time, with what the provider received.</summary>
    private sealed class Simulation
    {
        private readonly Limits _limits;
        private readonly FakeTimeProvider _time = new();
        private readonly PriorityQueue<Action, (long At, long Order)> _events = new();
        private readonly List<Receipt> _receipts = [];
        private readonly List<(long Due, Job Job)> _retries = [];
        // The ledger's attempts by reservation, as RecentAttemptsAsync reads them: each sent
        // attempt of every job, under way until its outcome is recorded.
        private readonly Dictionary<long, RecentAttempt> _ledger = [];
        private readonly bool _retry;
        private long _order;
        private long _now;
        private QuotaBook? _book;
        private int _generation;
        private long _downUntil;
        private IReadOnlyList<QuotaLevel> _saved = [];
        private long _nextSave;
        private int _jobs;
        private int _refused;
        private long _moment;

        private Simulation(Limits limits, bool retry)
        {
            _limits = limits;
            _retry = retry;
        }

        public static Result Run(Limits limits, Step[] steps, Restart[] restarts, bool retries)
        {
            var span = steps.Sum(s => (long)s.Gap);
            var stops = restarts.Select(r => (At: (long)(r.At * span), r.Downtime)).OrderBy(r => r.At).ToList();
            var simulation = new Simulation(limits, retries);
            simulation.Start();
            foreach (var (at, downtime) in stops)
            {
                simulation.At(at, () => simulation.Stop(until: at + downtime));
                simulation.At(at + downtime, simulation.Start);
            }

            long tick = 0;
            foreach (var step in steps)
            {
                tick += step.Gap;
                simulation.At(tick, () => simulation.Dispatch(step));
            }

            while (simulation._events.TryDequeue(out var action, out var at))
            {
                simulation.AdvanceTo(at.At);
                action();
            }

            return new Result(limits, simulation._receipts, simulation._refused);
        }

        private TimeSpan Units(long units) => TimeSpan.FromTicks(units * _limits.WindowSeconds * TimeSpan.TicksPerSecond / Window);

        private void At(long at, Action action) => _events.Enqueue(action, (at, _order++));

        private string Wall() => _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);

        private void AdvanceTo(long at)
        {
            _time.Advance(Units(at - _now));
            _now = at;
            if (_book is not null && _now >= _nextSave)
            {
                // Saved twice a second while running.
                _saved = _book.Levels();
                _nextSave = _now + Math.Max(1, Window / (2 * _limits.WindowSeconds));
            }
        }

        private void Stop(long until)
        {
            if (_book is null)
            {
                return; // a second stop within a downtime
            }

            _book = null;
            _generation++;
            _downUntil = until;
        }

        private void Start()
        {
            if (_book is not null)
            {
                return;
            }

            var book = Book(_limits, _time);
            book.Padding.ShouldBe(Units(_limits.Padding), "the padding must be whole units for exact arithmetic");
            book.Restore(_saved);
            var readAt = _time.GetUtcNow();
            var recordedAfter = readAt - book.Window - book.Padding;
            var sentAfter = readAt - book.OpenCap;
            book.Seed(_ledger.Values.Where(a => a.RecordedAt is { } recorded
                ? DateTimeOffset.Parse(recorded, CultureInfo.InvariantCulture) > recordedAfter
                : DateTimeOffset.Parse(a.DispatchedAt!, CultureInfo.InvariantCulture) > sentAfter).ToList());
            _book = book;
        }

        private void Dispatch(Step step)
        {
            if (_book is null)
            {
                return; // the stream goes on; nothing routes while the dispatcher is down
            }

            var due = _retries.FindIndex(r => r.Due <= _now);
            var job = due >= 0 ? _retries[due].Job : new Job(++_jobs, 1 + (int)(step.Size * Math.Max(0, (_limits.LargestShare * _limits.Tpm) - 1)));
            var quota = _book[Deployment];
            var now = _book.Now;
            if (!quota.CanAfford(job.Tokens, now))
            {
                _refused++;
                return; // a new job goes elsewhere; a retry waits for the next step
            }

            if (due >= 0)
            {
                _retries.RemoveAt(due);
            }

            var sequence = _book.Reserve(quota, job.Tokens, now);
            var generation = _generation;
            if (step.Kind == Kind.NeverSent)
            {
                // Another delivery claimed the attempt: nothing is marked in the ledger, nothing sent.
                At(_now + step.Delay, () =>
                {
                    if (_generation == generation)
                    {
                        _book!.Release(Deployment, sequence, job.Tokens);
                    }
                });
                return;
            }

            _ledger[sequence] = new RecentAttempt { DeploymentId = Deployment, Sequence = sequence, DispatchedAt = Wall(), InputTokens = job.Tokens };

            // A provider that says nothing of its time is taken to receive a call at most the padding
            // after the worker sent it.
            var network = _limits.StatesTime ? step.Network : Math.Min(step.Network, _limits.Padding);
            var receivedAt = _now + step.Wait + network;
            var used = step.Kind switch
            {
                Kind.Success or Kind.Lost => (int)(step.Usage * job.Tokens),
                Kind.Overage => job.Tokens + 1 + (int)(step.Usage * job.Tokens / 2),
                _ => 0,
            };
            var receipt = new Receipt(receivedAt, used, Math.Max(0, used - job.Tokens), _generation, ++_moment);
            if (step.Kind != Kind.RateLimited)
            {
                _receipts.Add(receipt);
            }

            if (step.Kind == Kind.Lost)
            {
                return;
            }

            var processing = step.Kind == Kind.RateLimited ? 0 : step.Processing;
            At(receivedAt + processing + step.Delay, () => Outcome(job, sequence, step, network, processing, receipt));
        }

        private void Outcome(Job job, long sequence, Step step, int network, int processing, Receipt receipt)
        {
            if (_book is null)
            {
                // Waits in the broker for the next process, which starts before it is delivered.
                At(_downUntil, () => Outcome(job, sequence, step, network, processing, receipt));
                return;
            }

            var succeeded = step.Kind is Kind.Success or Kind.Overage;
            var timing = new CallTiming(Units(network + processing), _limits.StatesTime ? Units(processing) : null);
            _book.Settle(Deployment, sequence, job.Tokens, succeeded ? receipt.Tokens : 0, timing, null, step.Kind == Kind.RateLimited ? Units(step.RetryDelay) : null);
            receipt.SettledBy = _generation;
            receipt.SettledMoment = ++_moment;
            _ledger[sequence] = _ledger[sequence] with
            {
                RecordedAt = Wall(),
                LatencyMs = timing.Latency.TotalMilliseconds,
                ProviderMs = timing.ProviderTime?.TotalMilliseconds,
                InputTokens = succeeded ? receipt.Tokens : 0,
            };
            if (!succeeded && _retry)
            {
                _retries.Add((_now + step.RetryDelay, job));
            }
        }

        public sealed record Result(Limits Limits, List<Receipt> Receipts, int Refused);
    }

    private sealed record Job(int Id, int Tokens);

    /// <summary>
    /// A call as the provider counted it: when (units), its tokens and how many of them were over
    /// its reservation; when (in the order of reservations and settles) and by which process it
    /// was reserved and settled.
    /// </summary>
    private sealed class Receipt(long at, int tokens, int overage, int reservedBy, long reservedMoment)
    {
        public long At { get; } = at;

        public int Tokens { get; } = tokens;

        public int Overage { get; } = overage;

        public int ReservedBy { get; } = reservedBy;

        public long ReservedMoment { get; } = reservedMoment;

        public int SettledBy { get; set; } = int.MaxValue;

        public long SettledMoment { get; set; } = long.MaxValue;

        // Whether the quota that reserved the other call counted this one at its usage then:
        // settled before, into the same process's window, or in an earlier process and so in
        // the ledger the later one seeded from. (A call under way at a restart is seeded under
        // its reservation, so a settle that reaches a later process counts it there too.)
        public bool KnownWhen(Receipt other) => SettledMoment < other.ReservedMoment;
    }
}
