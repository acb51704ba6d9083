using Dispatcher.Routing;

namespace Dispatcher.Tests.Routing.Strategies;

public sealed class RandomStrategyTests
{
    [Fact]
    public void Pick_SeededOverManyPicks_SpreadsUniformly()
    {
        var strategy = new RandomStrategy(new Random(20260101));

        var counts = Candidates.Count(strategy, Candidates.Named("a", "b", "c", "d"), 40_000);

        // Expected 10,000 each; one standard deviation is about 87.
        counts.Values.ShouldAllBe(n => n >= 9_500 && n <= 10_500);
    }

    [Fact]
    public void Pick_InjectedRandom_FollowsItsSequence()
    {
        var strategy = new RandomStrategy(new Random(7));
        var reference = new Random(7);
        var candidates = Candidates.Named("a", "b", "c", "d", "e");
        var request = Candidates.Request();

        var picks = Enumerable.Range(0, 50).Select(_ => strategy.Pick(request, candidates)).ToArray();

        picks.ShouldBe(Enumerable.Range(0, 50).Select(_ => reference.Next(5)).ToArray());
    }

    [Fact]
    public void Pick_AnyCandidateCount_StaysInRange()
    {
        var strategy = new RandomStrategy(new Random(3));
        var request = Candidates.Request();

        for (var n = 1; n <= 6; n++)
        {
            var candidates = Candidates.Named([.. Enumerable.Range(0, n).Select(i => $"d{i}")]);
            var picks = Enumerable.Range(0, 500).Select(_ => strategy.Pick(request, candidates)).ToHashSet();

            picks.ShouldBe(Enumerable.Range(0, n), ignoreOrder: true);
        }
    }

    [Fact]
    public void Pick_AfterWarmUp_AllocatesNothing()
    {
        var strategy = new RandomStrategy(new Random(1));

        Candidates.AllocatedBytesOverThousandPicks(strategy, Candidates.Request(), Candidates.Named("a", "b", "c")).ShouldBe(0);
    }
}
