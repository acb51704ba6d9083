using Dispatcher.Dispatching;
using Dispatcher.Ledger;
using Dispatcher.Reconciling;
using Dispatcher.Tests.Support;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Dispatcher.Tests.Dispatching;

/// <summary>
/// The jobs in flight held between their send and their outcome: as sent, without their bodies,
/// never more than <see cref="InFlightJobs.Capacity"/>, and let go by the report of the attempt held.
/// The longest lease here is 60 s in the queue, 30 s of call and 10 s of grace: 100 s.
/// </summary>
public sealed class InFlightJobsTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(100);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 2, 12, 0, 0, TimeSpan.Zero));
    private readonly InFlightJobs _jobs;

    public InFlightJobsTests()
    {
        var deployment = Catalogs.Deployment("d1");
        deployment.TimeoutSeconds = 30;
        _jobs = new InFlightJobs(
            _time,
            Options.Create(new ReconcilerOptions { QueueAllowance = TimeSpan.FromSeconds(60), ReportGrace = TimeSpan.FromSeconds(10) }),
            Catalogs.Of("round-robin", deployment));
    }

    private static JobRow Job(string id) => new()
    {
        JobId = id,
        BatchId = "b",
        CustomId = "c-" + id,
        ModelGroup = "g",
        Tenant = "t",
        Body = """{"model":"g","messages":[{"role":"user","content":"a long question"}]}""",
        BodyMetadata = """{"k":"v"}""",
        State = JobState.Queued,
        EstPromptTokens = 10,
        MaxTokens = 20,
        RouteReason = "an earlier attempt's reason",
    };

    [Fact]
    public void Add_ClaimedAttempt_HoldsTheJobAsSentWithoutItsBody()
    {
        _jobs.Add(Job("j1"), 2, "d1", 7);

        var held = _jobs.Find("j1").ShouldNotBeNull();
        (held.State, held.Attempts, held.DeploymentId, held.QuotaSeq).ShouldBe((JobState.Dispatched, 2L, "d1", 7L));
        (held.CustomId, held.BatchId, held.Tenant, held.EstPromptTokens, held.MaxTokens).ShouldBe(("c-j1", "b", "t", 10L, 20L));
        held.Body.ShouldBeEmpty();
        held.BodyMetadata.ShouldBeNull();
        held.RouteReason.ShouldBeNull();
        _jobs.Count.ShouldBe(1);
    }

    [Fact]
    public void Add_NextAttemptOfAHeldJob_ReplacesIt()
    {
        _jobs.Add(Job("j1"), 1, "d1", 7);
        _jobs.Add(Job("j1"), 2, "d2", 8);

        _jobs.Find("j1")!.Attempts.ShouldBe(2);
        _jobs.Count.ShouldBe(1);
    }

    [Fact]
    public void Remove_ReportOfTheHeldAttempt_LetsTheJobGo()
    {
        _jobs.Add(Job("j1"), 2, "d1", 7);

        _jobs.Remove("j1", 2);

        _jobs.Find("j1").ShouldBeNull();
        _jobs.Count.ShouldBe(0);
    }

    [Fact]
    public void Remove_LateReportOfAnEarlierAttempt_KeepsTheAttemptUnderWay()
    {
        _jobs.Add(Job("j1"), 2, "d1", 7);

        _jobs.Remove("j1", 1);

        _jobs.Find("j1")!.Attempts.ShouldBe(2);
        _jobs.Count.ShouldBe(1);
    }

    [Fact]
    public void Add_Full_HoldsNoMoreAndKeepsThoseItHas()
    {
        for (var i = 0; i < InFlightJobs.Capacity; i++)
        {
            _jobs.Add(Job("j" + i), 1, "d1", i);
        }

        _jobs.Add(Job("one-too-many"), 1, "d1", 0);

        _jobs.Count.ShouldBe(InFlightJobs.Capacity);
        _jobs.Find("one-too-many").ShouldBeNull("the jobs held are the ones whose outcomes come first; this one is read back");
        _jobs.Find("j0").ShouldNotBeNull();
    }

    [Fact]
    public void Add_FullOfJobsOlderThanTheirLease_DropsThemAndHoldsTheNewOne()
    {
        // Jobs whose outcomes went elsewhere (another dispatcher took their share over).
        for (var i = 0; i < InFlightJobs.Capacity - 1; i++)
        {
            _jobs.Add(Job("old" + i), 1, "d1", i);
        }

        _time.Advance(Lease - TimeSpan.FromSeconds(1));
        _jobs.Add(Job("recent"), 1, "d1", 0);
        _time.Advance(TimeSpan.FromSeconds(2));

        _jobs.Add(Job("new"), 1, "d1", 0);

        _jobs.Find("new").ShouldNotBeNull();
        _jobs.Find("recent").ShouldNotBeNull("still within its lease");
        _jobs.Find("old0").ShouldBeNull();
        _jobs.Count.ShouldBe(2);
    }
}
