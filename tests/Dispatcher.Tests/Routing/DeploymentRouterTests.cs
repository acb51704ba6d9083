using Dispatcher.Breakers;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Quotas;
using Dispatcher.Reservations;
using Dispatcher.Routing;
using Dispatcher.Tests.Support;
using Microsoft.Extensions.Options;

namespace Dispatcher.Tests.Routing;

public sealed class DeploymentRouterTests
{
    private static RoutingRequest Request(string group = "g", int prompt = 10, int max = 10, params string[] excluded) =>
        new(Guid.NewGuid(), group, prompt, max, null, null, excluded.ToHashSet());

    private static DeploymentRouter Router(string strategy, params DeploymentOptions[] deployments) =>
        Router(Catalogs.Of(strategy, deployments));

    private static DeploymentRouter Router(IOptions<CatalogOptions> catalog, SpendBook? spend = null, DeploymentBreakers? breakers = null)
    {
        var quotas = new QuotaBook(catalog, TimeProvider.System);
        spend ??= new SpendBook(catalog, TimeProvider.System);
        breakers ??= new DeploymentBreakers(catalog, TimeProvider.System);
        return new(
            catalog,
            [new ExcludedFilter(), new ContextWindowFilter(), new TenantRegionFilter(catalog)],
            quotas,
            new LatencyTracker(TimeProvider.System),
            spend,
            breakers,
            new AttemptReservations(quotas, spend, breakers));
    }

    private static RoutingRequest TenantRequest(string tenant, int prompt = 1000, int max = 1000) =>
        new(Guid.NewGuid(), "g", prompt, max, tenant, null, new HashSet<string>());

    [Fact]
    public void Route_DeploymentBudgetWouldBeCrossed_GoesElsewhereThenRefusesWithBudgetExhausted()
    {
        // Each job is estimated at 2000 tokens x 1/1M = 0.002.
        var capped = Catalogs.Deployment("capped", priority: 0);
        capped.InputPricePerMillion = capped.OutputPricePerMillion = 1;
        capped.Budget = new BudgetOptions { Limit = 0.005m, Period = BudgetPeriod.Day };
        var other = Catalogs.Deployment("other", priority: 1);
        other.InputPricePerMillion = other.OutputPricePerMillion = 1;
        other.Budget = new BudgetOptions { Limit = 0.002m, Period = BudgetPeriod.Day };
        var router = Router(StrategyNames.PriorityOrder, capped, other);

        var picks = Enumerable.Range(0, 3).Select(_ => router.Route(TenantRequest("t")).Deployment?.Id).ToArray();
        var refused = router.Route(TenantRequest("t"));

        picks.ShouldBe(["capped", "capped", "other"]);
        refused.Deployment.ShouldBeNull();
        refused.RefusalKind.ShouldBe(ErrorKind.BudgetExhausted);
        refused.RetryIn.ShouldBeNull();
        refused.Reason.ShouldContain("budget deployment:capped");
    }

    [Fact]
    public void Route_TenantBudgetSettledBelowEstimate_FreesRoomForMoreJobs()
    {
        var d = Catalogs.Deployment("d");
        d.InputPricePerMillion = d.OutputPricePerMillion = 1;
        var catalog = Options.Create(new CatalogOptions
        {
            Deployments = [d],
            Tenants = [new TenantOptions { Name = "acme", Budget = new BudgetOptions { Limit = 0.005m } }],
        });
        var spend = new SpendBook(catalog, TimeProvider.System);
        var router = Router(catalog, spend);

        router.Route(TenantRequest("acme")).Deployment.ShouldNotBeNull();
        router.Route(TenantRequest("acme")).Deployment.ShouldNotBeNull();
        router.Route(TenantRequest("acme")).RefusalKind.ShouldBe(ErrorKind.BudgetExhausted);
        router.Route(TenantRequest("other-tenant")).Deployment.ShouldNotBeNull();

        spend.Settle(d, "acme", estimate: 0.002m, actual: 0.0005m);

        router.Route(TenantRequest("acme")).Deployment.ShouldNotBeNull();
        spend.Account(SpendBook.TenantKey("acme")).Spent.ShouldBe(0.0005m);
    }

    [Fact]
    public void Route_TenantWithRegions_OnlyGoesToThoseRegions()
    {
        var us = Catalogs.Deployment("us");
        us.Region = "us-east";
        var eu = Catalogs.Deployment("eu");
        eu.Region = "eu-west";
        var catalog = Options.Create(new CatalogOptions
        {
            Deployments = [us, eu],
            Tenants = [new TenantOptions { Name = "gdpr", Regions = ["eu-west"] }],
        });
        var router = Router(catalog);

        Enumerable.Range(0, 4).Select(_ => router.Route(TenantRequest("gdpr", 1, 1)).Deployment!.Id).ShouldAllBe(id => id == "eu");
        Enumerable.Range(0, 4).Select(_ => router.Route(TenantRequest("anyone", 1, 1)).Deployment!.Id).Distinct().Count().ShouldBe(2);
    }

    [Fact]
    public void Route_RoundRobin_TakesDeploymentsInTurn()
    {
        var router = Router(StrategyNames.RoundRobin, Catalogs.Deployment("a"), Catalogs.Deployment("b"), Catalogs.Deployment("c"));

        var picks = Enumerable.Range(0, 6).Select(_ => router.Route(Request()).Deployment!.Id).ToArray();

        picks.ShouldBe(["a", "b", "c", "a", "b", "c"]);
    }

    [Fact]
    public void Route_Priority_TakesLowestPriorityNumber()
    {
        var router = Router(StrategyNames.PriorityOrder, Catalogs.Deployment("a", priority: 2), Catalogs.Deployment("b", priority: 1));

        router.Route(Request()).Deployment!.Id.ShouldBe("b");
    }

    [Fact]
    public void Route_UnknownGroup_ReturnsNoDeploymentWithReason()
    {
        var router = Router(StrategyNames.RoundRobin, Catalogs.Deployment("a"));

        var decision = router.Route(Request("other"));

        decision.Deployment.ShouldBeNull();
        decision.Reason.ShouldContain("other");
    }

    [Fact]
    public void Route_ExcludedDeployment_IsFilteredOutAndNamedInReason()
    {
        var router = Router(StrategyNames.PriorityOrder, Catalogs.Deployment("a", priority: 0), Catalogs.Deployment("b", priority: 1));

        var decision = router.Route(Request(excluded: "a"));

        decision.Deployment!.Id.ShouldBe("b");
        decision.FilteredOut.ShouldBe(1);
        decision.Candidates.ShouldBe(1);
    }

    [Fact]
    public void Route_PromptLargerThanEveryContextWindow_ReturnsNone()
    {
        var router = Router(StrategyNames.RoundRobin, Catalogs.Deployment("a", context: 100), Catalogs.Deployment("b", context: 200));

        var decision = router.Route(Request(prompt: 150, max: 100));

        decision.Deployment.ShouldBeNull();
        decision.Reason.ShouldContain("a (context-window)");
        decision.RetryIn.ShouldBeNull();
    }

    [Fact]
    public void Route_OnlyLargerWindowFits_PicksIt()
    {
        var router = Router(StrategyNames.RoundRobin, Catalogs.Deployment("small", context: 100), Catalogs.Deployment("large", context: 1000));

        Enumerable.Range(0, 3).Select(_ => router.Route(Request(prompt: 150, max: 100)).Deployment!.Id).ShouldAllBe(id => id == "large");
    }

    [Fact]
    public void Route_EveryDeploymentOverQuota_RefusesWithTimeUntilRefill()
    {
        var deployment = Catalogs.Deployment("a");
        deployment.Rpm = 2;
        deployment.BurstFraction = 1;
        var router = Router(StrategyNames.RoundRobin, deployment);

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
        var router = Router(StrategyNames.PriorityOrder, small, Catalogs.Deployment("big", priority: 5));

        var picks = Enumerable.Range(0, 4).Select(_ => router.Route(Request()).Deployment!.Id).ToArray();

        picks.ShouldBe(["small", "big", "big", "big"]);
    }
}
