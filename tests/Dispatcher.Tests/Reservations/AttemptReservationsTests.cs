using Microsoft.Extensions.Time.Testing;
using Dispatcher.Breakers;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Ledger;
using Dispatcher.Quotas;
using Dispatcher.Reservations;
using Microsoft.Extensions.Options;

namespace Dispatcher.Tests.Reservations;

/// <summary>
/// An attempt's reservation is taken once and given back once: a second settle or release, or
/// a settle after a release, changes nothing in the quota, the spend caps or the breaker's
/// probe slots. Each attempt here reserves 200 tokens at 1 per million tokens (0.0002), and the
/// token bucket (500) is kept below its capacity so any double refund shows.
/// </summary>
public sealed class AttemptReservationsTests
{
    private const int Prompt = 100;
    private const int Max = 100;

    private static readonly string SpendKey = SpendBook.DeploymentKey("d");

    private readonly FakeTimeProvider _time = new();
    private readonly IOptions<CatalogOptions> _catalog;
    private readonly DeploymentOptions _deployment;
    private readonly QuotaBook _quotas;
    private readonly SpendBook _spend;
    private readonly DeploymentBreakers _breakers;
    private readonly AttemptReservations _reservations;

    public AttemptReservationsTests()
    {
        _deployment = new DeploymentOptions
        {
            Id = "d", ModelGroup = "g", Rpm = 10, Tpm = 1000, BurstFraction = 0.5,
            InputPricePerMillion = 1, OutputPricePerMillion = 1,
            Budget = new BudgetOptions { Limit = 1m, Period = BudgetPeriod.Day },
        };
        _catalog = Options.Create(new CatalogOptions
        {
            Deployments = [_deployment],
            ModelGroups =
            [
                new ModelGroupOptions
                {
                    Name = "g",
                    Breaker = new BreakerGateOptions { ConsecutiveFailures = 1, MinimumThroughput = 100, BreakDurationSeconds = 5, HalfOpenProbes = 2 },
                },
            ],
            QuotaWindow = TimeSpan.FromSeconds(60),
            QuotaWindowPadding = 0,
        });
        _quotas = new QuotaBook(_catalog, _time);
        _spend = new SpendBook(_catalog, _time);
        _breakers = new DeploymentBreakers(_catalog, _time);
        _reservations = new AttemptReservations(_quotas, _spend, _breakers);
    }

    private QuotaUsage Quota => _quotas.Usage().Single();

    private (decimal Spent, decimal Reserved) Spend => _spend.Account(SpendKey);

    private BreakerState Breaker => _breakers.Current.Single().State;

    private static JobRow Job(long? sequence) => new()
    {
        JobId = Guid.NewGuid().ToString(),
        CustomId = "c",
        ModelGroup = "g",
        Body = "{}",
        State = JobState.Dispatched,
        EstPromptTokens = Prompt,
        MaxTokens = Max,
        QuotaSeq = sequence,
    };

    // 50 tokens used, costing 0.00005.
    private static CompletionAttempted Succeeded() =>
        new(Guid.NewGuid(), "d", 1, ErrorKind.None, 200, null, new TokenUsage(30, 20), 100);

    // Neither healthy nor unhealthy: a half-open breaker stays half-open and frees the probe slot.
    private static CompletionAttempted RateLimited() =>
        new(Guid.NewGuid(), "d", 1, ErrorKind.RateLimited, 429, null, null, 100);

    // As routing does: the breaker is asked first, then the attempt is reserved on the pick.
    private AttemptReservation Reserve()
    {
        _breakers.Allows("d", out _);
        var sequence = _reservations.Reserve(_deployment, _quotas["d"], Prompt, Max, null, _quotas.Now);
        return AttemptReservation.For(Job(sequence), _deployment, sequence);
    }

    // The breaker opens on one failure and lets two probes through after 5 s.
    private void HalfOpen()
    {
        _breakers.Record("d", ErrorKind.ServerError);
        _time.Advance(TimeSpan.FromSeconds(5));
        Breaker.ShouldBe(BreakerState.HalfOpen);
    }

    private bool ProbeSlotFree() => _breakers.Allows("d", out _);

    [Fact]
    public void Reserve_TwoAttempts_TakesQuotaSpendAndProbeSlots()
    {
        HalfOpen();

        var first = Reserve();
        Reserve();

        first.ReservedTokens.ShouldBe(new QuotaTokens(Prompt, Max));
        first.EstimatedCost.ShouldBe(0.0002m);
        Quota.TokensAvailable.ShouldBe(100);
        Quota.InFlight.ShouldBe(2);
        Spend.ShouldBe((0m, 0.0004m));
        ProbeSlotFree().ShouldBeFalse("both probes are out");
    }

    [Fact]
    public void Settle_SentAttempt_GivesBackQuotaAndSpendAndFeedsTheBreaker()
    {
        HalfOpen();
        var first = Reserve();
        Reserve();

        _reservations.Settle(first, Succeeded()).ShouldBeTrue();

        Quota.TokensAvailable.ShouldBe(250, "150 of the 200 reserved come back");
        Quota.InFlight.ShouldBe(1);
        Spend.ShouldBe((0.00005m, 0.0002m));
        Breaker.ShouldBe(BreakerState.Closed, "the probe succeeded");
    }

    [Fact]
    public void Settle_SameReservationTwice_CountsOnce()
    {
        HalfOpen();
        var first = Reserve();
        Reserve();
        _reservations.Settle(first, RateLimited()).ShouldBeTrue();

        _reservations.Settle(first, RateLimited()).ShouldBeFalse();

        Quota.TokensAvailable.ShouldBe(300, "the failed call's 200 tokens come back once");
        Quota.InFlight.ShouldBe(1);
        Spend.ShouldBe((0m, 0.0002m));
        ProbeSlotFree().ShouldBeTrue("one probe slot came back");
        Reserve();
        ProbeSlotFree().ShouldBeFalse("only one probe slot came back");
        Breaker.ShouldBe(BreakerState.HalfOpen);
    }

    [Fact]
    public void Release_SameReservationTwice_GivesBackOnce()
    {
        HalfOpen();
        var first = Reserve();
        Reserve();
        _reservations.Release(first).ShouldBeTrue();

        _reservations.Release(first).ShouldBeFalse();

        Quota.TokensAvailable.ShouldBe(300);
        Quota.RequestsAvailable.ShouldBe(4);
        Quota.InFlight.ShouldBe(1);
        Spend.ShouldBe((0m, 0.0002m));
        ProbeSlotFree().ShouldBeTrue("one probe slot came back");
        Reserve();
        ProbeSlotFree().ShouldBeFalse("only one probe slot came back");
    }

    [Fact]
    public void Settle_AfterRelease_DoesNothing()
    {
        HalfOpen();
        var first = Reserve();
        Reserve();
        _reservations.Release(first).ShouldBeTrue();

        _reservations.Settle(first, Succeeded()).ShouldBeFalse();

        Quota.TokensAvailable.ShouldBe(300);
        Quota.InFlight.ShouldBe(1);
        Spend.ShouldBe((0m, 0.0002m));
        Breaker.ShouldBe(BreakerState.HalfOpen, "a call never sent is no probe's outcome");
    }

    [Fact]
    public void Release_AfterSettle_DoesNothing()
    {
        HalfOpen();
        var first = Reserve();
        Reserve();
        _reservations.Settle(first, RateLimited()).ShouldBeTrue();

        _reservations.Release(first).ShouldBeFalse();

        Quota.TokensAvailable.ShouldBe(300);
        Quota.RequestsAvailable.ShouldBe(3, "a sent call's request is not given back");
        Spend.ShouldBe((0m, 0.0002m));
        Reserve();
        ProbeSlotFree().ShouldBeFalse("only one probe slot came back");
    }

    [Fact]
    public void Settle_ReservationFromBeforeRestart_SettlesItsBucketAndSpend()
    {
        // The earlier process ran a minute ago, so its sequences are smaller than this one's.
        var earlierTime = new FakeTimeProvider(_time.GetUtcNow() - TimeSpan.FromMinutes(1));
        var earlierQuotas = new QuotaBook(_catalog, earlierTime);
        var earlierSpend = new SpendBook(_catalog, earlierTime);
        var earlier = new AttemptReservations(earlierQuotas, earlierSpend, new DeploymentBreakers(_catalog, earlierTime));
        var sequence = earlier.Reserve(_deployment, earlierQuotas["d"], Prompt, Max, null, earlierQuotas.Now);
        sequence.ShouldBeLessThan(_quotas.FirstSequence);
        _spend.Restore(SpendKey, 0m, 0.0002m); // what the ledger says the earlier process reserved
        Reserve();

        _reservations.Settle(AttemptReservation.For(Job(sequence), _deployment, sequence), Succeeded()).ShouldBeTrue();

        Quota.TokensAvailable.ShouldBe(450, "150 of its 200 come back to the bucket");
        Quota.InFlight.ShouldBe(1, "this process's windows never held it");
        Spend.ShouldBe((0.00005m, 0.0002m));
    }

    [Fact]
    public void Settle_NoSequenceRecorded_SettlesItsBucketAndSpend()
    {
        _spend.Restore(SpendKey, 0m, 0.0002m);
        Reserve();

        _reservations.Settle(AttemptReservation.For(Job(null), _deployment, 0), RateLimited()).ShouldBeTrue();

        Quota.TokensAvailable.ShouldBe(500);
        Quota.InFlight.ShouldBe(1);
        Spend.ShouldBe((0m, 0.0002m));
    }

    [Fact]
    public void Settle_UsageOfIntMax_ChargesAtMostTheUsageTheRequestAllows()
    {
        var sequence = _reservations.Reserve(_deployment, _quotas["d"], Prompt, Max, null, _quotas.Now);
        var job = Job(sequence) with { Body = """{"messages":[{"role":"user","content":"hi"}],"max_tokens":100}""" };
        var absurd = Succeeded() with { Usage = new TokenUsage(int.MaxValue, int.MaxValue) };

        _reservations.Settle(AttemptReservation.For(job, _deployment, sequence), absurd).ShouldBeTrue();

        // The prompt is bounded by the context window (128,000), the completion by max_tokens (100).
        Spend.ShouldBe((0.1281m, 0m));
        Quota.TokensInWindow.ShouldBe(128_100);
    }

    [Fact]
    public void Settle_NegativeUsage_ChargesNothing()
    {
        var reservation = Reserve();

        _reservations.Settle(reservation, Succeeded() with { Usage = new TokenUsage(-5, -7) }).ShouldBeTrue();

        Spend.ShouldBe((0m, 0m));
        Quota.TokensInWindow.ShouldBe(0);
    }

    [Fact]
    public void ReleaseReplaced_ReservationThisProcessHolds_KeepsItsCallInTheWindowAndGivesBackSpendAndProbeSlotOnce()
    {
        HalfOpen();
        var replaced = Reserve();
        Reserve();

        _reservations.ReleaseReplaced(replaced).ShouldBeTrue();
        _reservations.ReleaseReplaced(replaced).ShouldBeFalse();
        _reservations.Settle(replaced, Succeeded()).ShouldBeFalse("the resend's reservation is the one its outcome settles");

        // The replaced send may have gone out and be called: its request and tokens stay counted,
        // so no other job takes the room a provider would count twice.
        Quota.RequestsInWindow.ShouldBe(2);
        Quota.TokensAvailable.ShouldBe(100);
        Quota.RequestsAvailable.ShouldBe(3);
        Quota.InFlight.ShouldBe(1);
        Spend.ShouldBe((0m, 0.0002m));
        ProbeSlotFree().ShouldBeTrue("its probe slot came back");
    }

    [Fact]
    public void ReleaseReplaced_ReservationFromBeforeRestart_GivesBackOnlyItsEstimatedCost()
    {
        var earlierTime = new FakeTimeProvider(_time.GetUtcNow() - TimeSpan.FromMinutes(1));
        var earlierQuotas = new QuotaBook(_catalog, earlierTime);
        var earlier = new AttemptReservations(earlierQuotas, new SpendBook(_catalog, earlierTime), new DeploymentBreakers(_catalog, earlierTime));
        var sequence = earlier.Reserve(_deployment, earlierQuotas["d"], Prompt, Max, null, earlierQuotas.Now);
        _spend.Restore(SpendKey, 0m, 0.0002m); // what the ledger says the earlier process reserved
        HalfOpen();
        Reserve();
        Reserve();

        _reservations.ReleaseReplaced(AttemptReservation.For(Job(sequence), _deployment, sequence)).ShouldBeTrue();

        Spend.ShouldBe((0m, 0.0004m), "the restored estimate left the cap; this process's two stay");
        Quota.RequestsInWindow.ShouldBe(3, "it may be called yet: its call counts in the window beside this process's two");
        Quota.InFlight.ShouldBe(2);
        ProbeSlotFree().ShouldBeFalse("this process's breaker never counted it as a probe");
    }

    [Fact]
    public void ReleaseReplaced_AfterSettle_DoesNothing()
    {
        var replaced = Reserve();
        _reservations.Settle(replaced, Succeeded()).ShouldBeTrue();

        _reservations.ReleaseReplaced(replaced).ShouldBeFalse();

        Spend.ShouldBe((0.00005m, 0m));
        Quota.InFlight.ShouldBe(0);
    }

    [Fact]
    public void Settle_OutcomeOfAnotherDeployment_Throws()
    {
        var reservation = Reserve();

        Should.Throw<ArgumentException>(() => _reservations.Settle(reservation, Succeeded() with { DeploymentId = "other" }));
        Quota.InFlight.ShouldBe(1);
    }
}
