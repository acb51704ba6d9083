using System.Text.Json;
using Dispatcher.Catalog;
using Dispatcher.Catalog.Tokens;
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

    [Theory]
    [InlineData(Endpoints.Embeddings, """{"input":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}""", 10)]
    [InlineData(Endpoints.Embeddings, """{"input":["xxxxxxxxxxxxxxxxxxxx","xxxxxxxxxxxxxxxxxxxx"]}""", 10)]
    [InlineData(Endpoints.Embeddings, """{"input":[1,2,3,4,5,6,7]}""", 7)]
    [InlineData(Endpoints.Embeddings, """{"input":[[1,2,3],[4,5]]}""", 5)]
    [InlineData(Endpoints.Completions, """{"prompt":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","max_tokens":5}""", 10)]
    [InlineData(Endpoints.Completions, """{"prompt":[1,2,3]}""", 3)]
    [InlineData(Endpoints.Moderations, """{"input":[{"type":"text","text":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},{"type":"image_url","image_url":{"url":"https://x"}}]}""", 10)]
    // 3 for the request, 4 for the one input item, 10 for the instructions and 10 for the input text.
    [InlineData(Endpoints.Responses, """{"instructions":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","input":[{"role":"user","content":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}]}""", 27)]
    [InlineData(Endpoints.Responses, """{"input":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}""", 13)]
    public void EstimatePromptTokens_PerEndpoint_CountsThatEndpointsPrompt(string url, string json, int expected) =>
        TokenEstimator.EstimatePromptTokens(Body(json), url).ShouldBe(expected);

    [Fact]
    public void EstimatePromptTokens_EmbeddingsBody_IgnoresFieldsThatAreNotItsInput()
    {
        var body = Body("""{"input":"xxxx","messages":[{"role":"user","content":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}]}""");

        TokenEstimator.EstimatePromptTokens(body, Endpoints.Embeddings).ShouldBe(1);
    }

    [Fact]
    public void EstimatePromptTokens_AnotherCounter_WeighsTheSameText()
    {
        var counter = new WordCounter();

        var tokens = TokenEstimator.EstimatePromptTokens(Body("""{"input":["one two three","four"]}"""), Endpoints.Embeddings, counter);

        tokens.ShouldBe(4);
        counter.Seen.ShouldBe(["one two three", "four"]);
    }

    [Theory]
    [InlineData(Endpoints.ChatCompletions, """{"max_tokens":100,"n":3}""", 300)]
    [InlineData(Endpoints.ChatCompletions, """{"max_completion_tokens":100,"n":2}""", 200)]
    [InlineData(Endpoints.ChatCompletions, """{"n":4}""", 1024)]
    [InlineData(Endpoints.ChatCompletions, """{"max_tokens":100,"n":"three"}""", 100)]
    [InlineData(Endpoints.ChatCompletions, """{"max_tokens":100,"n":100000}""", 12_800)]
    [InlineData(Endpoints.Completions, """{"max_tokens":16,"n":5}""", 80)]
    [InlineData(Endpoints.Responses, """{"max_output_tokens":99,"n":5}""", 99)]
    [InlineData(Endpoints.Embeddings, """{"n":5}""", 0)]
    public void ReservedCompletionTokens_NChoices_ReservesMaxTokensForEachChoice(string url, string json, int expected) =>
        TokenEstimator.ReservedCompletionTokens(Body(json), 256, url).ShouldBe(expected);

    [Theory]
    [InlineData(Endpoints.Embeddings, """{"max_tokens":77}""", 0)]
    [InlineData(Endpoints.Moderations, """{}""", 0)]
    [InlineData(Endpoints.Completions, """{"max_tokens":16}""", 16)]
    [InlineData(Endpoints.Completions, """{"max_completion_tokens":16}""", 256)]
    [InlineData(Endpoints.Responses, """{"max_output_tokens":99,"max_tokens":5}""", 99)]
    [InlineData(Endpoints.Responses, """{}""", 256)]
    public void MaxTokens_PerEndpoint_ReadsThatEndpointsLimit(string url, string json, int expected) =>
        TokenEstimator.MaxTokens(Body(json), 256, url).ShouldBe(expected);

    private sealed class WordCounter : ITokenCounter
    {
        public List<string> Seen { get; } = [];

        public int Count(ReadOnlySpan<char> text)
        {
            Seen.Add(text.ToString());
            return text.Count(' ') + 1;
        }
    }
}
