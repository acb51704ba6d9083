using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Dispatching;

namespace Dispatcher.Tests.Dispatching;

public sealed class CostCalculatorTests
{
    private static DeploymentOptions Deployment(decimal? cachedPrice) => new()
    {
        Id = "d", ModelGroup = "g", InputPricePerMillion = 3m, OutputPricePerMillion = 15m, CachedInputPricePerMillion = cachedPrice,
    };

    [Fact]
    public void Cost_CachedPromptTokens_PricedAtTheCachedPrice()
    {
        // 1,000,000 prompt tokens, 800,000 of them from the cache: 0.2 × 3 + 0.8 × 0.3 + 0.1 × 15.
        CostCalculator.Cost(Deployment(0.30m), new TokenUsage(1_000_000, 100_000, 800_000)).ShouldBe(0.6m + 0.24m + 1.5m);
    }

    [Fact]
    public void Cost_NoCachedPrice_PricesCachedTokensAsInput()
    {
        CostCalculator.Cost(Deployment(null), new TokenUsage(1_000_000, 0, 800_000)).ShouldBe(3m);
    }

    [Fact]
    public void Cost_CachedCountAbovePrompt_IsBoundedByThePrompt()
    {
        CostCalculator.Cost(Deployment(0m), 1_000_000, 0, cachedPromptTokens: 5_000_000).ShouldBe(0m);
    }
}
