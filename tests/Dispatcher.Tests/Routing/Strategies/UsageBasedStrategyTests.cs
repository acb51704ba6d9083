using Dispatcher.Routing;

namespace Dispatcher.Tests.Routing.Strategies;

public sealed class UsageBasedStrategyTests
{
    private readonly UsageBasedStrategy _strategy = new();

    [Fact]
    public void Pick_DifferentHeadroom_TakesHighestOfTheLowerBucket()
    {
        // Averages would favour a (0.55); the token bucket at 0.2 is what will throttle it.
        RoutingCandidate[] candidates =
        [
            Candidates.Of("a", requestHeadroom: 0.9, tokenHeadroom: 0.2),
            Candidates.Of("b", requestHeadroom: 0.5, tokenHeadroom: 0.5),
            Candidates.Of("c", requestHeadroom: 0.3, tokenHeadroom: 1.0),
        ];

        _strategy.PickId(Candidates.Request(), candidates).ShouldBe("b");
    }

    [Fact]
    public void Pick_RequestBucketLowest_CountsRequestHeadroom()
    {
        RoutingCandidate[] candidates =
        [
            Candidates.Of("a", requestHeadroom: 0.1, tokenHeadroom: 1.0),
            Candidates.Of("b", requestHeadroom: 0.4, tokenHeadroom: 0.4),
        ];

        _strategy.PickId(Candidates.Request(), candidates).ShouldBe("b");
    }

    [Fact]
    public void Pick_EqualHeadroom_TakesCatalogOrder()
    {
        RoutingCandidate[] candidates =
        [
            Candidates.Of("a", requestHeadroom: 0.2, tokenHeadroom: 0.2),
            Candidates.Of("b", requestHeadroom: 0.7, tokenHeadroom: 0.9),
            Candidates.Of("c", requestHeadroom: 0.9, tokenHeadroom: 0.7),
        ];

        _strategy.PickId(Candidates.Request(), candidates).ShouldBe("b");
    }

    [Fact]
    public void Pick_AfterWarmUp_AllocatesNothing()
    {
        RoutingCandidate[] candidates =
        [
            Candidates.Of("a", requestHeadroom: 0.2), Candidates.Of("b", tokenHeadroom: 0.5), Candidates.Of("c", requestHeadroom: 0.4),
        ];

        Candidates.AllocatedBytesOverThousandPicks(_strategy, Candidates.Request(), candidates).ShouldBe(0);
    }
}
