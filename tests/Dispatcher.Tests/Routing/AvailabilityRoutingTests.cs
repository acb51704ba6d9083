using Dispatcher.Breakers;
using Dispatcher.Catalog;
using Dispatcher.Catalog.Availability;
using Dispatcher.Catalog.Rules;
using Dispatcher.Quotas;
using Dispatcher.Reservations;
using Dispatcher.Routing;
using Dispatcher.Tests.Support;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Dispatcher.Tests.Routing;

public sealed class AvailabilityRoutingTests
{
    // Monday 7 December 2026, 20:59:30 UTC: 21:59:30 in Berlin, half a minute before the night box opens.
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 7, 20, 59, 30, TimeSpan.Zero));

    private static DeploymentOptions NightBox(string group = "g")
    {
        var night = Catalogs.Deployment("night-box", group);
        night.Availability = [new AvailabilityWindowOptions { From = "22:00", To = "06:00", TimeZone = "Europe/Berlin" }];
        return night;
    }

    private static RoutingRequest Request(string group = "g", string? tenant = null) =>
        new(Guid.NewGuid(), group, 10, 10, tenant, null, new HashSet<string>(), Contracts.Endpoints.ChatCompletions, new JobTraits(false, false, null, null));

    private DeploymentRouter Router(CatalogOptions options)
    {
        var catalog = Options.Create(options);
        var quotas = new QuotaBook(catalog, _time);
        var spend = new SpendBook(catalog, _time);
        var breakers = new DeploymentBreakers(catalog, _time);
        return new DeploymentRouter(
            catalog,
            [new ExcludedFilter(), new AvailabilityFilter(catalog, _time)],
            quotas,
            new LatencyTracker(_time),
            spend,
            breakers,
            new AttemptReservations(quotas, spend, breakers),
            rules: new RoutingRules(catalog, _time));
    }

    [Fact]
    public void Allows_NoWindows_AlwaysTrue()
    {
        var filter = new AvailabilityFilter(Options.Create(new CatalogOptions { Deployments = [Catalogs.Deployment("a")] }), _time);

        filter.Allows(Request(), Catalogs.Deployment("a")).ShouldBeTrue();
        filter.OpensIn(Request(), Catalogs.Deployment("a")).ShouldBeNull();
    }

    [Fact]
    public void Allows_WindowClosedThenOpens_FollowsTheClock()
    {
        var night = NightBox();
        var filter = new AvailabilityFilter(Options.Create(new CatalogOptions { Deployments = [night] }), _time);

        filter.Allows(Request(), night).ShouldBeFalse();
        filter.OpensIn(Request(), night).ShouldBe(TimeSpan.FromSeconds(30));
        filter.Explain(Request(), night).ShouldBe("closed until 22:00 Europe/Berlin, window 0");

        _time.Advance(TimeSpan.FromSeconds(30));

        filter.Allows(Request(), night).ShouldBeTrue();
        filter.ClosureOf("night-box").ShouldBeNull();
    }

    [Fact]
    public void OpensIn_WindowHoursAway_IsCappedAtMaxWait()
    {
        var night = NightBox();
        var filter = new AvailabilityFilter(Options.Create(new CatalogOptions { Deployments = [night] }), _time);
        _time.Advance(TimeSpan.FromHours(9)); // 06:59:30 in Berlin: closed for fifteen hours

        filter.OpensIn(Request(), night).ShouldBe(AvailabilityFilter.MaxWait);
        filter.ClosureOf("night-box").ShouldBe("closed until 22:00 Europe/Berlin, window 0");
    }

    [Fact]
    public void Route_OnlyDeploymentClosed_RefusesWithRetryInUntilItOpens()
    {
        var router = Router(new CatalogOptions { Deployments = [NightBox()] });

        var decision = router.Route(Request());

        decision.Deployment.ShouldBeNull();
        decision.RetryIn.ShouldBe(TimeSpan.FromSeconds(30));
        decision.ForWindow.ShouldBeTrue();
        decision.RefusalKind.ShouldBe(Contracts.ErrorKind.NoDeployment);
        decision.Reason.ShouldContain("night-box (closed until 22:00 Europe/Berlin, window 0)");
    }

    [Fact]
    public void Route_WindowOpens_RoutesToTheDeployment()
    {
        var router = Router(new CatalogOptions { Deployments = [NightBox()] });
        router.Route(Request()).Deployment.ShouldBeNull();

        _time.Advance(TimeSpan.FromSeconds(30));

        router.Route(Request()).Deployment!.Id.ShouldBe("night-box");
    }

    [Fact]
    public void Route_OneDeploymentClosed_PicksTheOpenOne()
    {
        var router = Router(new CatalogOptions { Deployments = [NightBox(), Catalogs.Deployment("cloud")] });

        for (var i = 0; i < 5; i++)
        {
            var decision = router.Route(Request());
            decision.Deployment!.Id.ShouldBe("cloud");
            decision.FilteredOut.ShouldBe(1);
        }
    }

    [Fact]
    public void Route_ClosedAndOverQuota_RetryInIsTheSoonerOfTheTwo()
    {
        var busy = Catalogs.Deployment("busy");
        busy.Rpm = 1;
        busy.BurstFraction = 1;
        var router = Router(new CatalogOptions { Deployments = [NightBox(), busy], QuotaWindow = TimeSpan.FromSeconds(60), QuotaWindowPadding = 0 });
        router.Route(Request()).Deployment!.Id.ShouldBe("busy");

        var decision = router.Route(Request());

        decision.Deployment.ShouldBeNull();
        decision.RetryIn.ShouldBe(TimeSpan.FromSeconds(30)); // the window, before the quota's minute
        decision.ForWindow.ShouldBeFalse("a deployment is short of quota too: the job waits for capacity");
    }

    [Fact]
    public void Route_RuleWithWindow_AppliesOnlyInsideIt()
    {
        var rule = new RoutingRuleOptions
        {
            Name = "off-peak",
            When = RoutingRuleOptions.Condition("""{"tenant": "batch"}"""),
            Deployments = ["cheap"],
            Availability = [new AvailabilityWindowOptions { From = "21:00", To = "06:00" }],
        };
        var router = Router(new CatalogOptions
        {
            Deployments = [Catalogs.Deployment("cheap"), Catalogs.Deployment("fast")],
            ModelGroups = [new ModelGroupOptions { Name = "g", Strategy = StrategyNames.RoundRobin, Rules = [rule] }],
        });

        // 20:59:30 UTC: outside the rule's window, both deployments take turns.
        Enumerable.Range(0, 4).Select(_ => router.Route(Request(tenant: "batch")).Deployment!.Id).Distinct().Order().ShouldBe(["cheap", "fast"]);

        _time.Advance(TimeSpan.FromSeconds(30));

        var inside = router.Route(Request(tenant: "batch"));
        inside.Deployment!.Id.ShouldBe("cheap");
        inside.Reason.ShouldStartWith("rule 0 'off-peak' of g in window 0 (21:00–06:00 UTC) matched; ");
        inside.Rule!.At(_time.GetUtcNow())!.Description.ShouldBe(inside.Rule.Description, "the rule as it applies in its window answers for the same window");
        Enumerable.Range(0, 4).Select(_ => router.Route(Request(tenant: "batch")).Deployment!.Id).Distinct().ShouldBe(["cheap"]);
    }

    [Fact]
    public void Redirect_SendingRuleOutsideItsWindow_KeepsTheChain()
    {
        var catalog = Options.Create(new CatalogOptions
        {
            Deployments = [Catalogs.Deployment("a"), Catalogs.Deployment("n1", "night")],
            ModelGroups =
            [
                new ModelGroupOptions
                {
                    Name = "g",
                    Rules = [new RoutingRuleOptions { Group = "night", Availability = [new AvailabilityWindowOptions { From = "21:00", To = "06:00" }] }],
                },
            ],
        });
        var rules = new RoutingRules(catalog, _time);

        rules.Redirect(Request(), ["g"], out var before).ShouldBe(["g"]);
        before.ShouldBeNull();

        _time.Advance(TimeSpan.FromSeconds(30));

        rules.Redirect(Request(), ["g"], out var after).ShouldBe(["night"]);
        after!.Description.ShouldBe("rule 0 of g in window 0 (21:00–06:00 UTC)");
    }
}
