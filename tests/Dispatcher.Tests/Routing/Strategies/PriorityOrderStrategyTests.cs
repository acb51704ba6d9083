using Dispatcher.Routing;

namespace Dispatcher.Tests.Routing.Strategies;

public sealed class PriorityOrderStrategyTests
{
    private readonly PriorityOrderStrategy _strategy = new();

    [Fact]
    public void Pick_DifferentPriorities_TakesLowestNumber()
    {
        RoutingCandidate[] candidates = [Candidates.Of("a", priority: 2), Candidates.Of("b", priority: -1), Candidates.Of("c", priority: 0)];

        _strategy.PickId(Candidates.Request(), candidates).ShouldBe("b");
    }

    [Fact]
    public void Pick_EqualPriority_TakesCatalogOrder()
    {
        RoutingCandidate[] candidates = [Candidates.Of("a", priority: 2), Candidates.Of("b", priority: 1), Candidates.Of("c", priority: 1)];

        _strategy.PickId(Candidates.Request(), candidates).ShouldBe("b");
    }

    [Fact]
    public void Pick_AfterWarmUp_AllocatesNothing()
    {
        RoutingCandidate[] candidates = [Candidates.Of("a", priority: 2), Candidates.Of("b", priority: 1)];

        Candidates.AllocatedBytesOverThousandPicks(_strategy, Candidates.Request(), candidates).ShouldBe(0);
    }
}
