using Dispatcher.Routing;

namespace Dispatcher.Tests.Routing.Strategies;

public sealed class LeastBusyStrategyTests
{
    private readonly LeastBusyStrategy _strategy = new();

    [Fact]
    public void Pick_DifferentLoad_TakesFewestInFlight()
    {
        RoutingCandidate[] candidates = [Candidates.Of("a", inFlight: 3), Candidates.Of("b", inFlight: 1), Candidates.Of("c", inFlight: 2)];

        _strategy.PickId(Candidates.Request(), candidates).ShouldBe("b");
    }

    [Fact]
    public void Pick_LessBusyWithLessHeadroom_StillTakesLessBusy()
    {
        RoutingCandidate[] candidates =
        [
            Candidates.Of("a", inFlight: 2, requestHeadroom: 1.0, tokenHeadroom: 1.0),
            Candidates.Of("b", inFlight: 1, requestHeadroom: 0.1, tokenHeadroom: 0.1),
        ];

        _strategy.PickId(Candidates.Request(), candidates).ShouldBe("b");
    }

    [Fact]
    public void Pick_EqualLoad_TakesMostHeadroom()
    {
        RoutingCandidate[] candidates =
        [
            Candidates.Of("a", inFlight: 2, requestHeadroom: 1.0, tokenHeadroom: 1.0),
            Candidates.Of("b", inFlight: 1, requestHeadroom: 0.3, tokenHeadroom: 0.9),
            Candidates.Of("c", inFlight: 1, requestHeadroom: 0.6, tokenHeadroom: 0.6),
            Candidates.Of("d", inFlight: 1, requestHeadroom: 0.9, tokenHeadroom: 0.4),
        ];

        _strategy.PickId(Candidates.Request(), candidates).ShouldBe("c");
    }

    [Fact]
    public void Pick_EqualLoadAndHeadroom_TakesCatalogOrder()
    {
        RoutingCandidate[] candidates =
        [
            Candidates.Of("a", inFlight: 4, requestHeadroom: 0.5),
            Candidates.Of("b", inFlight: 0, requestHeadroom: 0.5),
            Candidates.Of("c", inFlight: 0, requestHeadroom: 0.5),
        ];

        _strategy.PickId(Candidates.Request(), candidates).ShouldBe("b");
    }

    [Fact]
    public void Pick_AfterWarmUp_AllocatesNothing()
    {
        RoutingCandidate[] candidates = [Candidates.Of("a", inFlight: 2), Candidates.Of("b", inFlight: 1), Candidates.Of("c", inFlight: 1, tokenHeadroom: 0.2)];

        Candidates.AllocatedBytesOverThousandPicks(_strategy, Candidates.Request(), candidates).ShouldBe(0);
    }
}
