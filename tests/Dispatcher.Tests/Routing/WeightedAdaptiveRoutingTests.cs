using Dispatcher.Breakers;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Quotas;
using Dispatcher.Reservations;
using Dispatcher.Routing;
using Dispatcher.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Dispatcher.Tests.Routing;

/// <summary>A weighted-adaptive group routed through the router: the weights it is given decide, and the reason says by how much.</summary>
public sealed class WeightedAdaptiveRoutingTests
{
    private readonly FakeTimeProvider _time = new();

    private DeploymentRouter Router(AdaptiveWeights weights, params DeploymentOptions[] deployments)
    {
        var catalog = Catalogs.Of(StrategyNames.WeightedAdaptive, deployments);
        var quotas = new QuotaBook(catalog, _time);
        var spend = new SpendBook(catalog, _time);
        var breakers = new DeploymentBreakers(catalog, _time);
        return new DeploymentRouter(
            catalog,
            [new ExcludedFilter()],
            quotas,
            new LatencyTracker(_time),
            spend,
            breakers,
            new AttemptReservations(quotas, spend, breakers),
            weights);
    }

    [Fact]
    public void Route_OnlyCandidate_ReasonNamesItsWeight()
    {
        var weights = new AdaptiveWeights(_time);
        var only = Catalogs.Deployment("only");
        weights.Record(only, ErrorKind.None, providerMs: 1000, outputTokens: 412);
        var router = Router(weights, only);

        var decision = router.Route(new RoutingRequest(Guid.NewGuid(), "g", 10, 10, null, null, new HashSet<string>()));

        decision.Weight.ShouldBe(new AdaptiveWeight(1, 1, 1, 412));
        decision.Reason.ShouldStartWith("weighted-adaptive chose only at 1 of weight (prior 1, success 1, 412 tok/s) of 1 candidate(s)");
    }

    [Fact]
    public void Route_OneDeploymentFailing_MostJobsGoToTheOther()
    {
        var weights = new AdaptiveWeights(_time);
        var healthy = Catalogs.Deployment("healthy");
        var failing = Catalogs.Deployment("failing");
        // Room for every pick at once, so quota never decides.
        foreach (var d in new[] { healthy, failing })
        {
            (d.Rpm, d.Tpm, d.BurstFraction) = (1_000_000, 100_000_000, 1);
        }
        for (var i = 0; i < 20; i++)
        {
            weights.Record(healthy, ErrorKind.None, 1000, 100);
            weights.Record(failing, ErrorKind.Timeout, 30_000, 0);
        }

        var router = Router(weights, healthy, failing);

        var picks = Enumerable.Range(0, 400)
            .Select(_ => router.Route(new RoutingRequest(Guid.NewGuid(), "g", 1, 1, null, null, new HashSet<string>())).Deployment?.Id)
            .ToList();

        // At the 5 % floor the failing one's share is 1 in 21: about 19 of 400.
        picks.Count(id => id == "failing").ShouldBeInRange(1, 45);
    }
}
