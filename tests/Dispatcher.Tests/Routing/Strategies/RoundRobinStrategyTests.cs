using Dispatcher.Routing;

namespace Dispatcher.Tests.Routing.Strategies;

public sealed class RoundRobinStrategyTests
{
    private readonly RoundRobinStrategy _strategy = new();

    [Fact]
    public void Pick_Repeatedly_TakesCandidatesInTurn()
    {
        var candidates = Candidates.Named("a", "b", "c");
        var request = Candidates.Request();

        var picks = Enumerable.Range(0, 7).Select(_ => _strategy.PickId(request, candidates)).ToArray();

        picks.ShouldBe(["a", "b", "c", "a", "b", "c", "a"]);
    }

    [Fact]
    public void Pick_FewerCandidatesThanBefore_StaysInRange()
    {
        var request = Candidates.Request();
        for (var i = 0; i < 5; i++)
        {
            _strategy.Pick(request, Candidates.Named("a", "b", "c", "d", "e"));
        }

        var candidates = Candidates.Named("a", "b");
        var picks = Enumerable.Range(0, 4).Select(_ => _strategy.Pick(request, candidates)).ToArray();

        picks.ShouldBe([1, 0, 1, 0]);
    }

    [Fact]
    public void Pick_AfterWarmUp_AllocatesNothing()
    {
        Candidates.AllocatedBytesOverThousandPicks(_strategy, Candidates.Request(), Candidates.Named("a", "b", "c")).ShouldBe(0);
    }
}
