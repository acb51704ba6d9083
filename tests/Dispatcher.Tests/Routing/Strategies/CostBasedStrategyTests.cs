using Dispatcher.Routing;

namespace Dispatcher.Tests.Routing.Strategies;

public sealed class CostBasedStrategyTests
{
    private readonly CostBasedStrategy _strategy = new();

    [Fact]
    public void Pick_DifferentCosts_TakesCheapest()
    {
        RoutingCandidate[] candidates = [Candidates.Of("a", cost: 0.03), Candidates.Of("b", cost: 0.01), Candidates.Of("c", cost: 0.02)];

        _strategy.PickId(Candidates.Request(), candidates).ShouldBe("b");
    }

    [Fact]
    public void Pick_CheaperWithLessHeadroom_StillTakesCheaper()
    {
        RoutingCandidate[] candidates =
        [
            Candidates.Of("a", cost: 0.02, requestHeadroom: 1.0, tokenHeadroom: 1.0),
            Candidates.Of("b", cost: 0.01, requestHeadroom: 0.1, tokenHeadroom: 0.1),
        ];

        _strategy.PickId(Candidates.Request(), candidates).ShouldBe("b");
    }

    [Fact]
    public void Pick_EqualCost_TakesMostHeadroom()
    {
        RoutingCandidate[] candidates =
        [
            Candidates.Of("a", cost: 0.01, requestHeadroom: 0.2, tokenHeadroom: 0.9),
            Candidates.Of("b", cost: 0.02, requestHeadroom: 1.0, tokenHeadroom: 1.0),
            Candidates.Of("c", cost: 0.01, requestHeadroom: 0.8, tokenHeadroom: 0.6),
        ];

        _strategy.PickId(Candidates.Request(), candidates).ShouldBe("c");
    }

    [Fact]
    public void Pick_CheaperFoundAfterRoomierOne_ComparesHeadroomOnlyAmongTheCheapest()
    {
        // a's headroom must not linger as the bar once b, cheaper, becomes the best.
        RoutingCandidate[] candidates =
        [
            Candidates.Of("a", cost: 0.02, requestHeadroom: 0.9, tokenHeadroom: 0.9),
            Candidates.Of("b", cost: 0.01, requestHeadroom: 0.1, tokenHeadroom: 0.1),
            Candidates.Of("c", cost: 0.01, requestHeadroom: 0.05, tokenHeadroom: 0.5),
            Candidates.Of("d", cost: 0.01, requestHeadroom: 0.3, tokenHeadroom: 0.3),
        ];

        _strategy.PickId(Candidates.Request(), candidates).ShouldBe("d");
    }

    [Fact]
    public void Pick_EqualCostAndHeadroom_TakesCatalogOrder()
    {
        RoutingCandidate[] candidates =
        [
            Candidates.Of("a", cost: 0.02, requestHeadroom: 0.5),
            Candidates.Of("b", cost: 0.01, requestHeadroom: 0.5),
            Candidates.Of("c", cost: 0.01, requestHeadroom: 0.5),
        ];

        _strategy.PickId(Candidates.Request(), candidates).ShouldBe("b");
    }

    [Fact]
    public void Pick_AfterWarmUp_AllocatesNothing()
    {
        RoutingCandidate[] candidates = [Candidates.Of("a", cost: 0.02), Candidates.Of("b", cost: 0.01), Candidates.Of("c", cost: 0.01, tokenHeadroom: 0.4)];

        Candidates.AllocatedBytesOverThousandPicks(_strategy, Candidates.Request(), candidates).ShouldBe(0);
    }
}
