using Dispatcher.Contracts;
using Dispatcher.Routing;
using Microsoft.Extensions.Time.Testing;

namespace Dispatcher.Tests.Routing.Strategies;

public sealed class WeightedAdaptiveStrategyTests
{
    private readonly AdaptiveWeights _weights = new(new FakeTimeProvider());

    [Fact]
    public void Pick_NoOutcomes_SplitsByConfiguredWeight()
    {
        var strategy = new WeightedAdaptiveStrategy(_weights, new Random(20260101));

        var counts = Candidates.Count(strategy, [Candidates.Of("a", weight: 3), Candidates.Of("b", weight: 1)], 40_000);

        // Expected 30,000 and 10,000; one standard deviation is about 87.
        counts["a"].ShouldBeInRange(29_500, 30_500);
    }

    [Fact]
    public void Pick_Seeded_ProportionsFollowAdaptiveWeights()
    {
        var candidates = new[] { Candidates.Of("fast"), Candidates.Of("slow") };
        for (var i = 0; i < 10; i++)
        {
            _weights.Record(candidates[0].Deployment, ErrorKind.None, providerMs: 1000, outputTokens: 100);
            _weights.Record(candidates[1].Deployment, ErrorKind.None, providerMs: 4000, outputTokens: 100);
        }

        var strategy = new WeightedAdaptiveStrategy(_weights, new Random(5));

        var counts = Candidates.Count(strategy, candidates, 40_000);

        // Weights 1 and 0.25: expected 32,000 and 8,000; one standard deviation is 80.
        counts["slow"].ShouldBeInRange(7_600, 8_400);
    }

    [Fact]
    public void Pick_SameSeed_SamePicks()
    {
        var candidates = new[] { Candidates.Of("a", weight: 2), Candidates.Of("b"), Candidates.Of("c") };
        var request = Candidates.Request();
        var first = new WeightedAdaptiveStrategy(_weights, new Random(11));
        var second = new WeightedAdaptiveStrategy(_weights, new Random(11));

        var picks = Enumerable.Range(0, 200).Select(_ => first.Pick(request, candidates)).ToArray();

        Enumerable.Range(0, 200).Select(_ => second.Pick(request, candidates)).ShouldBe(picks);
        picks.Distinct().Count().ShouldBe(3);
    }

    [Fact]
    public void Pick_ZeroWeight_NeverChosenWhileAnotherHasWeight()
    {
        var strategy = new WeightedAdaptiveStrategy(_weights, new Random(1));

        var counts = Candidates.Count(strategy, [Candidates.Of("off", weight: 0), Candidates.Of("on")], 1_000);

        counts["off"].ShouldBe(0);
    }

    [Fact]
    public void Pick_AllZeroWeights_SharesEqually()
    {
        var strategy = new WeightedAdaptiveStrategy(_weights, new Random(1));

        var counts = Candidates.Count(strategy, [Candidates.Of("a", weight: 0), Candidates.Of("b", weight: 0)], 10_000);

        counts["a"].ShouldBeInRange(4_700, 5_300);
    }

    [Fact]
    public void Pick_Chosen_LastPickIsItsWeight()
    {
        var candidates = new[] { Candidates.Of("only", weight: 2) };
        var strategy = new WeightedAdaptiveStrategy(_weights, new Random(1));

        strategy.Pick(Candidates.Request(), candidates);

        strategy.LastPick.ShouldBe(new AdaptiveWeight(2, 2, null, null));
    }

    [Fact]
    public void Pick_AfterWarmUp_AllocatesNothing()
    {
        var strategy = new WeightedAdaptiveStrategy(_weights, new Random(1));

        Candidates.AllocatedBytesOverThousandPicks(strategy, Candidates.Request(), Candidates.Named("a", "b", "c")).ShouldBe(0);
    }
}
