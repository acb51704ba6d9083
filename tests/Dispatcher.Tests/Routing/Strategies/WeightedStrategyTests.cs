using Dispatcher.Routing;

namespace Dispatcher.Tests.Routing.Strategies;

public sealed class WeightedStrategyTests
{
    private readonly WeightedStrategy _strategy = new();

    [Fact]
    public void Pick_WeightsThreeToOne_SplitsThreeToOneWithinThreePercent()
    {
        RoutingCandidate[] candidates = [Candidates.Of("a", weight: 3), Candidates.Of("b", weight: 1)];

        var counts = Candidates.Count(_strategy, candidates, 4000);

        (counts["a"] / 4000.0).ShouldBe(0.75, 0.03);
        (counts["b"] / 4000.0).ShouldBe(0.25, 0.03);
    }

    [Fact]
    public void Pick_WeightsThreeToOne_InterleavesRatherThanBursts()
    {
        RoutingCandidate[] candidates = [Candidates.Of("a", weight: 3), Candidates.Of("b", weight: 1)];
        var request = Candidates.Request();

        var picks = Enumerable.Range(0, 8).Select(_ => _strategy.PickId(request, candidates)).ToArray();

        picks.ShouldBe(["a", "a", "b", "a", "a", "a", "b", "a"]);
    }

    [Fact]
    public void Pick_CandidateOrderChangesEveryPick_StillSplitsByWeight()
    {
        RoutingCandidate[] forward = [Candidates.Of("a", weight: 1), Candidates.Of("b", weight: 2), Candidates.Of("c", weight: 5)];
        RoutingCandidate[] backward = [forward[2], forward[1], forward[0]];
        var request = Candidates.Request();
        var counts = new Dictionary<string, int> { ["a"] = 0, ["b"] = 0, ["c"] = 0 };

        for (var i = 0; i < 4000; i++)
        {
            counts[_strategy.PickId(request, i % 2 == 0 ? forward : backward)]++;
        }

        (counts["a"] / 4000.0).ShouldBe(1 / 8.0, 0.03);
        (counts["b"] / 4000.0).ShouldBe(2 / 8.0, 0.03);
        (counts["c"] / 4000.0).ShouldBe(5 / 8.0, 0.03);
    }

    [Fact]
    public void Pick_DeploymentAbsentForAWhile_SharesFollowTheCandidatesPresent()
    {
        var a = Candidates.Of("a", weight: 3);
        var b = Candidates.Of("b", weight: 1);
        var c = Candidates.Of("c", weight: 2);

        var withoutC = Candidates.Count(_strategy, [a, b], 1001);
        var withC = Candidates.Count(_strategy, [a, b, c], 4000);

        (withoutC["a"] / 1001.0).ShouldBe(0.75, 0.03);
        (withC["a"] / 4000.0).ShouldBe(3 / 6.0, 0.03);
        (withC["b"] / 4000.0).ShouldBe(1 / 6.0, 0.03);
        (withC["c"] / 4000.0).ShouldBe(2 / 6.0, 0.03);
    }

    [Fact]
    public void Pick_ZeroWeightWhileOthersWereFilteredOut_NeverChoosesZeroWeight()
    {
        // After b wins a pick against c, b's score is below zero; a naive smooth round robin
        // would then tie zero-weight z (score 0) with b (back to 0) and take z, first in order.
        var z = Candidates.Of("z", weight: 0);
        var b = Candidates.Of("b", weight: 1);
        var c = Candidates.Of("c", weight: 1);
        var request = Candidates.Request();

        _strategy.PickId(request, [b, c]).ShouldBe("b");
        _strategy.PickId(request, [z, b]).ShouldBe("b");
    }

    [Fact]
    public void Pick_ZeroWeightAmongChangingSets_IsNeverChosen()
    {
        var z = Candidates.Of("z", weight: 0);
        var a = Candidates.Of("a", weight: 1);
        var b = Candidates.Of("b", weight: 2);
        var c = Candidates.Of("c", weight: 1);
        // Alternating these now and then brings a back to exactly zero beside z: a tie that a
        // smooth round robin without the zero-weight rule would give to z, first in order.
        RoutingCandidate[][] sets = [[a, b, c], [z, a]];
        var request = Candidates.Request();

        var zPicks = 0;
        for (var i = 0; i < 4000; i++)
        {
            zPicks += _strategy.PickId(request, sets[i % sets.Length]) == "z" ? 1 : 0;
        }

        zPicks.ShouldBe(0);
    }

    [Fact]
    public void Pick_AllWeightsZero_SharesEqually()
    {
        RoutingCandidate[] candidates = [Candidates.Of("a", weight: 0), Candidates.Of("b", weight: 0), Candidates.Of("c", weight: 0)];

        var counts = Candidates.Count(_strategy, candidates, 300);

        counts.Values.ShouldAllBe(n => n == 100);
    }

    [Fact]
    public void Pick_AfterWarmUp_AllocatesNothing()
    {
        RoutingCandidate[] candidates = [Candidates.Of("a", weight: 3), Candidates.Of("b", weight: 1), Candidates.Of("z", weight: 0)];

        Candidates.AllocatedBytesOverThousandPicks(_strategy, Candidates.Request(), candidates).ShouldBe(0);
    }
}
