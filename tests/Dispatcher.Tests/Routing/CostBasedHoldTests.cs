using Dispatcher.Breakers;
using Dispatcher.Catalog;
using Dispatcher.Quotas;
using Dispatcher.Reservations;
using Dispatcher.Routing;
using Dispatcher.Tests.Support;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Dispatcher.Tests.Routing;

/// <summary>
/// Cost-based routing waits for a cheaper deployment that will take the job within the time it
/// earns the job's reservation back, and holds it for that job, rather than paying more now.
/// </summary>
public sealed class CostBasedHoldTests
{
    private readonly FakeTimeProvider _time = new();

    // "cheap": 6,000 TPM, a burst of 600 tokens, refilling at 6,000 per (padded) minute, about
    // 100 a second; "dear": ten times the price, unlimited for these tests.
    private DeploymentRouter Router(bool waitForCheaper = true, int cheapTpm = 6_000, double burst = 0.1)
    {
        var cheap = Catalogs.Deployment("cheap");
        cheap.Tpm = cheapTpm;
        cheap.BurstFraction = burst;
        cheap.InputPricePerMillion = cheap.OutputPricePerMillion = 1;
        var dear = Catalogs.Deployment("dear");
        dear.InputPricePerMillion = dear.OutputPricePerMillion = 10;
        var catalog = Options.Create(new CatalogOptions
        {
            Deployments = [cheap, dear],
            ModelGroups = [new ModelGroupOptions { Name = "g", Strategy = StrategyNames.CostBased, WaitForCheaper = waitForCheaper }],
        });
        var quotas = new QuotaBook(catalog, _time);
        var spend = new SpendBook(catalog, _time);
        var breakers = new DeploymentBreakers(catalog, _time);
        return new DeploymentRouter(
            catalog,
            [new ExcludedFilter(), new ContextWindowFilter(), new TenantRegionFilter(catalog)],
            quotas,
            new LatencyTracker(_time),
            spend,
            breakers,
            new AttemptReservations(quotas, spend, breakers));
    }

    private static RoutingRequest Job(int prompt = 100, int max = 100) =>
        new(Guid.NewGuid(), "g", prompt, max, null, null, new HashSet<string>());

    private static void DrainCheapBurst(DeploymentRouter router)
    {
        for (var i = 0; i < 3; i++)
        {
            router.Route(Job()).Deployment!.Id.ShouldBe("cheap");
        }
    }

    [Fact]
    public void Route_CheaperRefillsSoon_WaitsAndHoldsItWhileOthersGoToTheDearer()
    {
        var router = Router();
        DrainCheapBurst(router);
        _time.Advance(TimeSpan.FromSeconds(1)); // about 100 tokens back of the 200 the next job needs

        var held = Job();
        var waiting = router.Route(held);
        var small = router.Route(Job(prompt: 10, max: 10)); // 20 tokens: would fit cheap, but cheap is held
        _time.Advance(TimeSpan.FromSeconds(1.1));
        var resumed = router.Route(held);

        waiting.Deployment.ShouldBeNull();
        waiting.RetryIn!.Value.TotalSeconds.ShouldBeInRange(0.9, 1.1);
        waiting.Reason.ShouldContain("cheaper cheap");
        small.Deployment!.Id.ShouldBe("dear");
        resumed.Deployment!.Id.ShouldBe("cheap");
    }

    [Fact]
    public void Route_HeldJobNeverComesBack_HoldLapsesForOthers()
    {
        var router = Router();
        DrainCheapBurst(router);
        _time.Advance(TimeSpan.FromSeconds(1));
        router.Route(Job()).Deployment.ShouldBeNull();

        _time.Advance(TimeSpan.FromSeconds(3)); // past twice the expected wait

        router.Route(Job()).Deployment!.Id.ShouldBe("cheap");
    }

    [Fact]
    public void Route_WaitForCheaperOff_GoesToTheDearerAtOnce()
    {
        var router = Router(waitForCheaper: false);
        DrainCheapBurst(router);
        _time.Advance(TimeSpan.FromSeconds(1));

        router.Route(Job()).Deployment!.Id.ShouldBe("dear");
        router.Route(Job(prompt: 10, max: 10)).Deployment!.Id.ShouldBe("cheap");
    }

    [Fact]
    public void Route_CheaperFreesOnlyAfterItsWindow_GoesToTheDearerAtOnce()
    {
        // The whole window's 600 tokens are reserved and unsettled: cheap frees nothing for a
        // minute, far longer than it takes to earn back 200 tokens (20 s at 600 per minute).
        var router = Router(cheapTpm: 600, burst: 1);
        DrainCheapBurst(router);
        _time.Advance(TimeSpan.FromSeconds(1));

        router.Route(Job()).Deployment!.Id.ShouldBe("dear");
    }
}
