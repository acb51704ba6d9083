using Dispatcher.Routing;

namespace Dispatcher.Tests.Routing.Strategies;

public sealed class LatencyBasedStrategyTests
{
    private readonly LatencyBasedStrategy _strategy = new();

    [Fact]
    public void Pick_AllMeasured_TakesLowestLatencyPerToken()
    {
        RoutingCandidate[] candidates = [Candidates.Of("a", latency: 30), Candidates.Of("b", latency: 10), Candidates.Of("c", latency: 20)];

        _strategy.PickId(Candidates.Request(), candidates).ShouldBe("b");
    }

    [Fact]
    public void Pick_SomeUnmeasured_TakesFirstUnmeasuredOverFastest()
    {
        RoutingCandidate[] candidates =
        [
            Candidates.Of("a", latency: 10), Candidates.Of("b", latency: null), Candidates.Of("c", latency: 5), Candidates.Of("d", latency: null),
        ];

        _strategy.PickId(Candidates.Request(), candidates).ShouldBe("b");
    }

    [Fact]
    public void Pick_EqualLatency_TakesCatalogOrder()
    {
        RoutingCandidate[] candidates = [Candidates.Of("a", latency: 20), Candidates.Of("b", latency: 10), Candidates.Of("c", latency: 10)];

        _strategy.PickId(Candidates.Request(), candidates).ShouldBe("b");
    }

    [Fact]
    public void Pick_FirstLatencyNotANumber_DoesNotWinByDefault()
    {
        RoutingCandidate[] candidates = [Candidates.Of("a", latency: double.NaN), Candidates.Of("b", latency: 40)];

        _strategy.PickId(Candidates.Request(), candidates).ShouldBe("b");
    }

    [Fact]
    public void Pick_AfterWarmUp_AllocatesNothing()
    {
        RoutingCandidate[] candidates = [Candidates.Of("a", latency: 30), Candidates.Of("b", latency: 10), Candidates.Of("c", latency: 20)];

        Candidates.AllocatedBytesOverThousandPicks(_strategy, Candidates.Request(), candidates).ShouldBe(0);
    }
}
