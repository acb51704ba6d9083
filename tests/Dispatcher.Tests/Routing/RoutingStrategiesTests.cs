using Dispatcher.Catalog;
using Dispatcher.Routing;
using Dispatcher.Tests.Routing.Strategies;

namespace Dispatcher.Tests.Routing;

public sealed class RoutingStrategiesTests
{
    [Fact]
    public void Names_Always_ListEveryStrategyOnce()
    {
        StrategyNames.Names.ShouldBe(
            ["usage-based", "cost-based", "round-robin", "weighted", "least-busy", "latency-based", "consistent-hash", "priority", "random", "weighted-adaptive"],
            ignoreOrder: true);
    }

    [Fact]
    public void Create_EveryName_ReturnsStrategyOfThatName()
    {
        foreach (var name in StrategyNames.Names)
        {
            RoutingStrategies.Create(name).Name.ShouldBe(name);
        }
    }

    [Fact]
    public void Create_Twice_ReturnsSeparateInstances()
    {
        foreach (var name in StrategyNames.Names)
        {
            RoutingStrategies.Create(name).ShouldNotBeSameAs(RoutingStrategies.Create(name));
        }
    }

    [Theory]
    [InlineData("round-robin", true)]
    [InlineData("priority", true)]
    [InlineData("consistent-hash", true)]
    [InlineData("Round-Robin", false)]
    [InlineData("least-latency", false)]
    [InlineData("", false)]
    public void IsKnown_Name_MatchesOrdinally(string name, bool known)
    {
        StrategyNames.IsKnown(name).ShouldBe(known);
    }

    [Fact]
    public void CreateHold_CostBasedWaitingForCheaper_HoldsTheCheaperDeployment()
    {
        var group = new ModelGroupOptions { Name = "g", Strategy = StrategyNames.CostBased, WaitForCheaper = true };

        RoutingStrategies.CreateHold(group, [new DeploymentOptions { Id = "a", ModelGroup = "g" }], TimeSpan.FromMinutes(1))
            .ShouldBeOfType<CheaperDeploymentHold>();
    }

    [Fact]
    public void CreateHold_AnyOtherGroup_HoldsNothing()
    {
        DeploymentOptions[] deployments = [new() { Id = "a", ModelGroup = "g" }];
        var window = TimeSpan.FromMinutes(1);

        RoutingStrategies.CreateHold(new ModelGroupOptions { Name = "g", Strategy = StrategyNames.CostBased, WaitForCheaper = false }, deployments, window).ShouldBeNull();
        foreach (var name in StrategyNames.Names.Where(n => n != StrategyNames.CostBased))
        {
            RoutingStrategies.CreateHold(new ModelGroupOptions { Name = "g", Strategy = name, WaitForCheaper = true }, deployments, window).ShouldBeNull();
        }
    }

    [Fact]
    public void Create_UnknownName_Throws()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => RoutingStrategies.Create("fastest"));
    }

    [Fact]
    public void Create_RandomWithSeededRandom_DrawsFromIt()
    {
        var strategy = RoutingStrategies.Create(StrategyNames.Random, new Random(11));
        var reference = new Random(11);
        var candidates = Candidates.Named("a", "b", "c");
        var request = Candidates.Request();

        var picks = Enumerable.Range(0, 30).Select(_ => strategy.Pick(request, candidates)).ToArray();

        picks.ShouldBe(Enumerable.Range(0, 30).Select(_ => reference.Next(3)).ToArray());
    }
}
