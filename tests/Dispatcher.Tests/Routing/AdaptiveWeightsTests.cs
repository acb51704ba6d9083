using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Routing;
using Microsoft.Extensions.Time.Testing;

namespace Dispatcher.Tests.Routing;

public sealed class AdaptiveWeightsTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly DeploymentOptions _fast = Deployment("fast");
    private readonly DeploymentOptions _sick = Deployment("sick");

    private static DeploymentOptions Deployment(string id, double weight = 1, string group = "g") =>
        new() { Id = id, ModelGroup = group, Weight = weight };

    // 100 output tokens per second of provider time, every call a success.
    private static void Healthy(AdaptiveWeights weights, DeploymentOptions deployment, int calls = 10)
    {
        for (var i = 0; i < calls; i++)
        {
            weights.Record(deployment, ErrorKind.None, providerMs: 1000, outputTokens: 100);
        }
    }

    [Fact]
    public void WeightOf_NoOutcomes_EqualsConfiguredWeights()
    {
        var weights = new AdaptiveWeights(_time);
        var heavy = Deployment("heavy", weight: 3);

        weights.WeightOf(heavy).ShouldBe(new AdaptiveWeight(3, 3, null, null));
        weights.WeightOf(_fast).ShouldBe(new AdaptiveWeight(1, 1, null, null));
    }

    [Fact]
    public void WeightOf_EqualHealth_KeepsConfiguredRatio()
    {
        var weights = new AdaptiveWeights(_time);
        var heavy = Deployment("heavy", weight: 3);
        Healthy(weights, heavy);
        Healthy(weights, _fast);

        weights.WeightOf(heavy).Weight.ShouldBe(3);
        weights.WeightOf(_fast).Weight.ShouldBe(1);
    }

    [Fact]
    public void WeightOf_ErrorsAndSlowLatency_LosesWeightByTheFormula()
    {
        var weights = new AdaptiveWeights(_time);
        Healthy(weights, _fast);
        for (var i = 0; i < 5; i++)
        {
            // 25 tokens per second, and as many server errors as successes.
            weights.Record(_sick, ErrorKind.None, providerMs: 4000, outputTokens: 100);
            weights.Record(_sick, ErrorKind.ServerError, providerMs: 50, outputTokens: 0);
        }

        var sick = weights.WeightOf(_sick);

        weights.WeightOf(_fast).Weight.ShouldBe(1);
        // (0.5 × 25 ÷ (1 + 0.5)) ÷ (1 × 100 ÷ 1)
        sick.Weight.ShouldBe(0.5 * 25 / 1.5 / 100, 1e-9);
        sick.SuccessRate.ShouldBe(0.5);
        sick.TokensPerSecond.ShouldBe(25);
    }

    [Fact]
    public void WeightOf_OnlySlower_LosesWeightInProportionToSpeed()
    {
        var weights = new AdaptiveWeights(_time);
        Healthy(weights, _fast);
        weights.Record(_sick, ErrorKind.None, providerMs: 4000, outputTokens: 100);

        weights.WeightOf(_sick).Weight.ShouldBe(0.25, 1e-9);
    }

    [Theory]
    [InlineData(ErrorKind.Timeout)]
    [InlineData(ErrorKind.ServerError)]
    [InlineData(ErrorKind.ConnectionFailed)]
    [InlineData(ErrorKind.MalformedResponse)]
    public void WeightOf_EveryCallFailing_StaysAtTheFloorOfItsPrior(ErrorKind error)
    {
        var weights = new AdaptiveWeights(_time, AdaptiveWeights.DefaultWindow, floor: 0.1);
        var sick = Deployment("sick", weight: 2);
        Healthy(weights, _fast);
        for (var i = 0; i < 50; i++)
        {
            weights.Record(sick, error, providerMs: 30_000, outputTokens: 0);
        }

        weights.WeightOf(sick).Weight.ShouldBe(0.2, 1e-9);
    }

    [Fact]
    public void WeightOf_WholeGroupFailing_KeepsEveryoneAtTheFloorNotZero()
    {
        var weights = new AdaptiveWeights(_time);
        weights.Record(_fast, ErrorKind.Timeout, 1000, 0);
        weights.Record(_sick, ErrorKind.ServerError, 1000, 0);

        weights.WeightOf(_fast).Weight.ShouldBe(AdaptiveWeights.DefaultFloor);
        weights.WeightOf(_sick).Weight.ShouldBe(AdaptiveWeights.DefaultFloor);
    }

    [Fact]
    public void WeightOf_WindowPassesAfterFailures_RecoversToItsPrior()
    {
        var weights = new AdaptiveWeights(_time, TimeSpan.FromMinutes(5));
        Healthy(weights, _fast);
        weights.Record(_sick, ErrorKind.Timeout, 30_000, 0);
        weights.WeightOf(_sick).Weight.ShouldBe(AdaptiveWeights.DefaultFloor);

        _time.Advance(TimeSpan.FromMinutes(4));
        weights.WeightOf(_sick).Weight.ShouldBe(AdaptiveWeights.DefaultFloor);

        _time.Advance(TimeSpan.FromMinutes(1));
        weights.WeightOf(_sick).ShouldBe(new AdaptiveWeight(1, 1, null, null));
    }

    [Fact]
    public void WeightOf_GroupsWithTheirOwnAdaptiveWindow_EachForgetsFailuresAfterItsWindow()
    {
        var catalog = new CatalogOptions { ModelGroups = [new ModelGroupOptions { Name = "short", AdaptiveWindow = TimeSpan.FromSeconds(30) }] };
        var weights = new AdaptiveWeights(_time, catalog);
        var shortFast = Deployment("short-fast", group: "short");
        var shortSick = Deployment("short-sick", group: "short");
        Healthy(weights, shortFast);
        Healthy(weights, _fast);
        weights.Record(shortSick, ErrorKind.ServerError, 100, 0);
        weights.Record(_sick, ErrorKind.ServerError, 100, 0);

        _time.Advance(TimeSpan.FromSeconds(30));

        weights.WeightOf(shortSick).ShouldBe(new AdaptiveWeight(1, 1, null, null), "its group's 30-second window has passed");
        weights.WeightOf(_sick).Weight.ShouldBe(AdaptiveWeights.DefaultFloor, "a group without AdaptiveWindow keeps five minutes");
    }

    [Fact]
    public void WeightOf_HealedAfterTheWindow_WeighsOnlyItsNewOutcomes()
    {
        var weights = new AdaptiveWeights(_time, TimeSpan.FromMinutes(5));
        for (var i = 0; i < 20; i++)
        {
            weights.Record(_sick, ErrorKind.ServerError, 100, 0);
        }

        _time.Advance(TimeSpan.FromMinutes(6));
        Healthy(weights, _fast);
        Healthy(weights, _sick);

        weights.WeightOf(_sick).Weight.ShouldBe(1);
        weights.WeightOf(_sick).SuccessRate.ShouldBe(1);
    }

    [Theory]
    [InlineData(ErrorKind.InvalidRequest)]
    [InlineData(ErrorKind.ContextLengthExceeded)]
    [InlineData(ErrorKind.ContentPolicy)]
    [InlineData(ErrorKind.RateLimited)]
    [InlineData(ErrorKind.CircuitOpen)]
    [InlineData(ErrorKind.WorkerFault)]
    public void Record_FailureOfTheJobOrQuota_DoesNotCountAgainstHealth(ErrorKind error)
    {
        var weights = new AdaptiveWeights(_time);
        Healthy(weights, _fast);
        Healthy(weights, _sick);
        for (var i = 0; i < 20; i++)
        {
            weights.Record(_sick, error, 100, 0);
        }

        weights.WeightOf(_sick).ShouldBe(new AdaptiveWeight(1, 1, 1, 100));
    }

    [Fact]
    public void WeightOf_OtherModelGroupFaster_IsNotComparedWithIt()
    {
        var weights = new AdaptiveWeights(_time);
        var elsewhere = Deployment("elsewhere", group: "other");
        Healthy(weights, elsewhere);
        weights.Record(_sick, ErrorKind.None, providerMs: 4000, outputTokens: 100);

        weights.WeightOf(_sick).Weight.ShouldBe(1);
    }

    [Fact]
    public void Current_Catalog_ListsOnlyWeightedAdaptiveGroups()
    {
        var weights = new AdaptiveWeights(_time);
        var catalog = new CatalogOptions
        {
            Deployments = [_fast, _sick, Deployment("plain", group: "p")],
            ModelGroups =
            [
                new ModelGroupOptions { Name = "g", Strategy = StrategyNames.WeightedAdaptive },
                new ModelGroupOptions { Name = "p", Strategy = StrategyNames.Weighted },
            ],
        };
        Healthy(weights, _fast);
        weights.Record(_sick, ErrorKind.None, providerMs: 2000, outputTokens: 100);

        weights.Current(catalog).Select(w => (w.Key, w.Value.Weight)).ShouldBe([("fast", 1.0), ("sick", 0.5)]);
    }

    [Fact]
    public void ToString_Measured_NamesWeightPriorSuccessAndSpeed()
    {
        new AdaptiveWeight(0.7123, 1, 0.98, 412.4).ToString().ShouldBe("0.712 of weight (prior 1, success 0.98, 412 tok/s)");
        new AdaptiveWeight(2, 2, null, null).ToString().ShouldBe("2 of weight (prior 2, no recent outcomes)");
    }
}
