using Dispatcher.Quotas;
using Dispatcher.Routing;
using Dispatcher.Tests.Support;

namespace Dispatcher.Tests.Routing;

public sealed class DeploymentRouterTests
{
    private static RoutingRequest Request(string group = "g", int prompt = 10, int max = 10, params string[] excluded) =>
        new(Guid.NewGuid(), group, prompt, max, null, null, excluded.ToHashSet());

    private static DeploymentRouter Router(string strategy, params Dispatcher.Catalog.DeploymentOptions[] deployments)
    {
        var catalog = Catalogs.Of(strategy, deployments);
        return new(catalog, [new ExcludedFilter(), new ContextWindowFilter()], new QuotaBook(catalog, TimeProvider.System), new LatencyTracker(TimeProvider.System));
    }

    [Fact]
    public void Route_RoundRobin_TakesDeploymentsInTurn()
    {
        var router = Router(RoutingStrategies.RoundRobin, Catalogs.Deployment("a"), Catalogs.Deployment("b"), Catalogs.Deployment("c"));

        var picks = Enumerable.Range(0, 6).Select(_ => router.Route(Request()).Deployment!.Id).ToArray();

        picks.ShouldBe(["a", "b", "c", "a", "b", "c"]);
    }

    [Fact]
    public void Route_Priority_TakesLowestPriorityNumber()
    {
        var router = Router(RoutingStrategies.PriorityOrder, Catalogs.Deployment("a", priority: 2), Catalogs.Deployment("b", priority: 1));

        router.Route(Request()).Deployment!.Id.ShouldBe("b");
    }

    [Fact]
    public void Route_UnknownGroup_ReturnsNoDeploymentWithReason()
    {
        var router = Router(RoutingStrategies.RoundRobin, Catalogs.Deployment("a"));

        var decision = router.Route(Request("other"));

        decision.Deployment.ShouldBeNull();
        decision.Reason.ShouldContain("other");
    }

    [Fact]
    public void Route_ExcludedDeployment_IsFilteredOutAndNamedInReason()
    {
        var router = Router(RoutingStrategies.PriorityOrder, Catalogs.Deployment("a", priority: 0), Catalogs.Deployment("b", priority: 1));

        var decision = router.Route(Request(excluded: "a"));

        decision.Deployment!.Id.ShouldBe("b");
        decision.FilteredOut.ShouldBe(1);
        decision.Candidates.ShouldBe(1);
    }

    [Fact]
    public void Route_PromptLargerThanEveryContextWindow_ReturnsNone()
    {
        var router = Router(RoutingStrategies.RoundRobin, Catalogs.Deployment("a", context: 100), Catalogs.Deployment("b", context: 200));

        var decision = router.Route(Request(prompt: 150, max: 100));

        decision.Deployment.ShouldBeNull();
        decision.Reason.ShouldContain("a (context-window)");
        decision.RetryIn.ShouldBeNull();
    }

    [Fact]
    public void Route_OnlyLargerWindowFits_PicksIt()
    {
        var router = Router(RoutingStrategies.RoundRobin, Catalogs.Deployment("small", context: 100), Catalogs.Deployment("large", context: 1000));

        Enumerable.Range(0, 3).Select(_ => router.Route(Request(prompt: 150, max: 100)).Deployment!.Id).ShouldAllBe(id => id == "large");
    }

    [Fact]
    public void Route_EveryDeploymentOverQuota_RefusesWithTimeUntilRefill()
    {
        var deployment = Catalogs.Deployment("a");
        deployment.Rpm = 2;
        deployment.BurstFraction = 1;
        var router = Router(RoutingStrategies.RoundRobin, deployment);

        router.Route(Request()).Deployment.ShouldNotBeNull();
        router.Route(Request()).Deployment.ShouldNotBeNull();
        var third = router.Route(Request());

        third.Deployment.ShouldBeNull();
        third.RetryIn.ShouldNotBeNull();
        third.RetryIn!.Value.ShouldBeGreaterThan(TimeSpan.Zero);
        third.Reason.ShouldContain("quota");
    }

    [Fact]
    public void Route_OneDeploymentOverQuota_GoesToTheOther()
    {
        var small = Catalogs.Deployment("small");
        small.Rpm = 1;
        small.BurstFraction = 1;
        var router = Router(RoutingStrategies.PriorityOrder, small, Catalogs.Deployment("big", priority: 5));

        var picks = Enumerable.Range(0, 4).Select(_ => router.Route(Request()).Deployment!.Id).ToArray();

        picks.ShouldBe(["small", "big", "big", "big"]);
    }
}
