using Dispatcher.Breakers;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Tests.Support;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Dispatcher.Tests.Breakers;

public sealed class DeploymentBreakersTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly DeploymentBreakers _breakers;

    public DeploymentBreakersTests()
    {
        var catalog = Options.Create(new CatalogOptions
        {
            Deployments = [Catalogs.Deployment("a"), Catalogs.Deployment("b")],
            ModelGroups =
            [
                new ModelGroupOptions
                {
                    Name = "g",
                    Breaker = new BreakerGateOptions
                    {
                        FailureRatio = 0.5, MinimumThroughput = 4, ConsecutiveFailures = 3, SamplingDurationSeconds = 10,
                        BreakDurationSeconds = 5, HalfOpenProbes = 2, AuthenticationBreakSeconds = 60,
                    },
                },
            ],
        });
        _breakers = new DeploymentBreakers(catalog, _time);
    }

    private BreakerState State(string id) => _breakers.Current.Single(b => b.DeploymentId == id).State;

    private List<DeploymentBreakerChanged> Drain()
    {
        var changes = new List<DeploymentBreakerChanged>();
        while (_breakers.Changes.TryRead(out var c))
        {
            changes.Add(c);
        }

        return changes;
    }

    [Fact]
    public void Record_ConsecutiveUnhealthyOutcomes_OpensOnlyThatDeployment()
    {
        _breakers.Record("a", ErrorKind.ServerError);
        _breakers.Record("a", ErrorKind.Timeout);
        State("a").ShouldBe(BreakerState.Closed);

        _breakers.Record("a", ErrorKind.ConnectionFailed);

        State("a").ShouldBe(BreakerState.Open);
        State("b").ShouldBe(BreakerState.Closed);
        _breakers.Allows("a", out var retryIn).ShouldBeFalse();
        retryIn.ShouldBe(TimeSpan.FromSeconds(5));
        _breakers.Allows("b", out _).ShouldBeTrue();
        Drain().ShouldHaveSingleItem().ShouldSatisfyAllConditions(
            c => c.DeploymentId.ShouldBe("a"),
            c => c.From.ShouldBe(BreakerState.Closed),
            c => c.To.ShouldBe(BreakerState.Open));
    }

    [Fact]
    public void Record_FailureRatioReachedOverMinimumThroughput_Opens()
    {
        // Alternating, so never three in a row: only the ratio can open it.
        _breakers.Record("a", ErrorKind.ServerError);
        _breakers.Record("a", ErrorKind.None);
        _breakers.Record("a", ErrorKind.ServerError);
        State("a").ShouldBe(BreakerState.Closed);

        _breakers.Record("a", ErrorKind.None);

        State("a").ShouldBe(BreakerState.Open);
    }

    [Fact]
    public void Record_OldFailuresOutsideSamplingWindow_DoNotCount()
    {
        _breakers.Record("a", ErrorKind.ServerError);
        _breakers.Record("a", ErrorKind.None);
        _time.Advance(TimeSpan.FromSeconds(11));
        _breakers.Record("a", ErrorKind.ServerError);
        _breakers.Record("a", ErrorKind.None);
        _breakers.Record("a", ErrorKind.None);

        State("a").ShouldBe(BreakerState.Closed);
    }

    [Theory]
    [InlineData(ErrorKind.RateLimited)]
    [InlineData(ErrorKind.InvalidRequest)]
    [InlineData(ErrorKind.ContextLengthExceeded)]
    [InlineData(ErrorKind.ContentPolicy)]
    public void Record_JobOrQuotaErrors_NeverOpen(ErrorKind kind)
    {
        for (var i = 0; i < 20; i++)
        {
            _breakers.Record("a", kind);
        }

        State("a").ShouldBe(BreakerState.Closed);
    }

    [Fact]
    public void Record_Authentication_OpensAtOnceForTheAuthenticationBreak()
    {
        _breakers.Record("a", ErrorKind.Authentication);

        State("a").ShouldBe(BreakerState.Open);
        _breakers.Allows("a", out var retryIn).ShouldBeFalse();
        retryIn.ShouldBe(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public void Allows_AfterBreak_HalfOpenAdmitsBoundedProbes()
    {
        OpenA();
        _time.Advance(TimeSpan.FromSeconds(5));

        _breakers.Allows("a", out _).ShouldBeTrue();
        State("a").ShouldBe(BreakerState.HalfOpen);
        _breakers.Admitted("a");
        _breakers.Allows("a", out _).ShouldBeTrue();
        _breakers.Admitted("a");

        _breakers.Allows("a", out _).ShouldBeFalse("two probes are in flight");
        _breakers.Released("a");
        _breakers.Allows("a", out _).ShouldBeTrue("a probe that was never sent gives its slot back");
    }

    [Fact]
    public void Current_HalfOpenWithProbesOut_ReportsTheTakenSlotsUntilTheyAreGivenBack()
    {
        OpenA();
        _time.Advance(TimeSpan.FromSeconds(5));
        _breakers.Allows("a", out _);
        _breakers.Admitted("a");
        _breakers.Admitted("a");

        _breakers.Current.Single(b => b.DeploymentId == "a").Probes.ShouldBe(2);
        _breakers.Released("a");
        _breakers.Record("a", ErrorKind.RateLimited);

        _breakers.Current.Single(b => b.DeploymentId == "a").Probes.ShouldBe(0);
        _breakers.Current.Single(b => b.DeploymentId == "b").Probes.ShouldBe(0);
    }

    [Fact]
    public void Record_ProbeSucceeds_Closes()
    {
        OpenA();
        _time.Advance(TimeSpan.FromSeconds(5));
        _breakers.Allows("a", out _);
        _breakers.Admitted("a");

        _breakers.Record("a", ErrorKind.None);

        State("a").ShouldBe(BreakerState.Closed);
        Drain().Select(c => c.To).ShouldBe([BreakerState.Open, BreakerState.HalfOpen, BreakerState.Closed]);
    }

    [Fact]
    public void Allows_AfterOneBreakerClosesAgain_StillRefusesTheOtherWhileItIsOpen()
    {
        // Open both, close "a" through its probe: "b" must stay refused, then "a" open again is refused.
        OpenA();
        for (var i = 0; i < 3; i++)
        {
            _breakers.Record("b", ErrorKind.ServerError);
        }

        _time.Advance(TimeSpan.FromSeconds(5));
        _breakers.Allows("a", out _).ShouldBeTrue();
        _breakers.Admitted("a");
        _breakers.Record("a", ErrorKind.None);
        State("a").ShouldBe(BreakerState.Closed);

        _breakers.Allows("b", out _).ShouldBeTrue(); // half-open: its first probe
        _breakers.Admitted("b");
        _breakers.Admitted("b");
        _breakers.Allows("b", out _).ShouldBeFalse(); // both probes out
        _breakers.Record("b", ErrorKind.None);
        _breakers.Record("b", ErrorKind.None);
        _breakers.Allows("b", out _).ShouldBeTrue();

        OpenA();
        _breakers.Allows("a", out _).ShouldBeFalse();
        _breakers.Allows("b", out _).ShouldBeTrue();
    }

    [Fact]
    public void Record_ProbeFails_OpensAgainForAnotherBreak()
    {
        OpenA();
        _time.Advance(TimeSpan.FromSeconds(5));
        _breakers.Allows("a", out _);
        _breakers.Admitted("a");

        _breakers.Record("a", ErrorKind.ServerError);

        State("a").ShouldBe(BreakerState.Open);
        _breakers.Allows("a", out var retryIn).ShouldBeFalse();
        retryIn.ShouldBe(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Record_ProbeRateLimited_StaysHalfOpenAndFreesTheSlot()
    {
        OpenA();
        _time.Advance(TimeSpan.FromSeconds(5));
        _breakers.Allows("a", out _);
        _breakers.Admitted("a");
        _breakers.Admitted("a");

        _breakers.Record("a", ErrorKind.RateLimited);

        State("a").ShouldBe(BreakerState.HalfOpen);
        _breakers.Allows("a", out _).ShouldBeTrue();
    }

    private void OpenA()
    {
        for (var i = 0; i < 3; i++)
        {
            _breakers.Record("a", ErrorKind.ServerError);
        }

        State("a").ShouldBe(BreakerState.Open);
    }
}
