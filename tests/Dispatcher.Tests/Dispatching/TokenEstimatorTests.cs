using System.Text.Json;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Dispatching;

namespace Dispatcher.Tests.Dispatching;

public sealed class TokenEstimatorTests
{
    private static JsonElement Body(string json) => JsonDocument.Parse(json).RootElement;

    [Fact]
    public void EstimatePromptTokens_LongerContent_EstimatesMore()
    {
        var small = TokenEstimator.EstimatePromptTokens(Body("""{"messages":[{"role":"user","content":"hi"}]}"""));
        var large = TokenEstimator.EstimatePromptTokens(Body($$"""{"messages":[{"role":"user","content":"{{new string('x', 4000)}}"}]}"""));

        large.ShouldBeGreaterThanOrEqualTo(small + 999);
    }

    [Fact]
    public void EstimatePromptTokens_MultiPartContent_CountsTextParts()
    {
        var tokens = TokenEstimator.EstimatePromptTokens(Body($$"""{"messages":[{"role":"user","content":[{"type":"text","text":"{{new string('x', 400)}}"}]}]}"""));

        tokens.ShouldBeGreaterThanOrEqualTo(100);
    }

    [Theory]
    [InlineData("""{"max_tokens":77}""", 77)]
    [InlineData("""{"max_completion_tokens":55,"max_tokens":77}""", 55)]
    [InlineData("""{}""", 256)]
    [InlineData("""{"max_tokens":-1}""", 256)]
    public void MaxTokens_BodyOrDefault_ReturnsTheLimit(string json, int expected) =>
        TokenEstimator.MaxTokens(Body(json), 256).ShouldBe(expected);

    [Fact]
    public void Cost_PricesPerMillion_AddsInputAndOutput()
    {
        var deployment = new DeploymentOptions { InputPricePerMillion = 2m, OutputPricePerMillion = 8m };

        CostCalculator.Cost(deployment, new TokenUsage(500_000, 250_000)).ShouldBe(3m);
    }
}
