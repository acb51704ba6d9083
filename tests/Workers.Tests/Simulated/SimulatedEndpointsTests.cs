using System.Text.Json;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Workers.Providers;
using Dispatcher.Workers.Providers.Http;
using Dispatcher.Workers.Providers.Simulated;

namespace Dispatcher.Workers.Tests.Simulated;

public sealed class SimulatedEndpointsTests
{
    private static SimulatedProvider Provider(int dimensions = 256, int? seed = 1) => new(
        new DeploymentOptions { Id = "sim", ModelGroup = "m", Simulation = new SimulationOptions { LatencyMs = 0, Seed = seed, EmbeddingDimensions = dimensions } },
        TimeProvider.System);

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    private static Task<ProviderOutcome> Call(SimulatedProvider provider, string url, string body, int maxTokens = 32) =>
        provider.CompleteAsync(new ProviderRequest(Json(body), maxTokens, EstimatedPromptTokens: 9, Url: url), default);

    private static float[] Vector(JsonElement response, int index) =>
        [.. response.GetProperty("data")[index].GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle())];

    [Fact]
    public async Task CompleteAsync_Embeddings_OneUnitVectorPerInputOfTheConfiguredDimensionWithPromptTokensOnly()
    {
        var outcome = await Call(Provider(dimensions: 48), Endpoints.Embeddings, """{"model":"m","input":["alpha","beta","alpha"]}""");

        // The provider counts the inputs itself, with its model's tokenizer (here the heuristic: 2 + 1 + 2).
        outcome.Error.ShouldBe(ErrorKind.None);
        outcome.Usage.ShouldBe(new TokenUsage(5, 0));
        var response = outcome.Response!.Value;
        response.GetProperty("object").GetString().ShouldBe("list");
        response.GetProperty("data").GetArrayLength().ShouldBe(3);
        var alpha = Vector(response, 0);
        alpha.Length.ShouldBe(48);
        Math.Sqrt(alpha.Sum(v => (double)v * v)).ShouldBe(1.0, tolerance: 1e-4);
        Vector(response, 2).ShouldBe(alpha);
        Vector(response, 1).ShouldNotBe(alpha);
        response.GetProperty("usage").GetProperty("prompt_tokens").GetInt32().ShouldBe(5);
        response.GetProperty("usage").TryGetProperty("completion_tokens", out _).ShouldBeFalse();
        new EmbeddingsReader().Read(response).Usage.ShouldBe(new TokenUsage(5, 0));
    }

    [Fact]
    public async Task CompleteAsync_EmbeddingsOfTheSameInput_SameVectorWhateverTheDeploymentSeedOrCall()
    {
        const string Body = """{"model":"m","input":"the same text"}""";

        var first = await Call(Provider(seed: 1), Endpoints.Embeddings, Body);
        var second = await Call(Provider(seed: 999), Endpoints.Embeddings, Body);
        var unseeded = await Call(Provider(seed: null), Endpoints.Embeddings, Body);

        Vector(second.Response!.Value, 0).ShouldBe(Vector(first.Response!.Value, 0));
        Vector(unseeded.Response!.Value, 0).ShouldBe(Vector(first.Response!.Value, 0));
    }

    [Fact]
    public async Task CompleteAsync_EmbeddingsAskingDimensionsAndBase64_AnswersThem()
    {
        var floats = await Call(Provider(), Endpoints.Embeddings, """{"model":"m","input":"x","dimensions":16}""");
        var base64 = await Call(Provider(), Endpoints.Embeddings, """{"model":"m","input":"x","dimensions":16,"encoding_format":"base64"}""");

        var expected = Vector(floats.Response!.Value, 0);
        expected.Length.ShouldBe(16);
        var bytes = base64.Response!.Value.GetProperty("data")[0].GetProperty("embedding").GetBytesFromBase64();
        Enumerable.Range(0, 16).Select(i => BitConverter.ToSingle(bytes, i * 4)).ToArray().ShouldBe(expected);
    }

    [Theory]
    [InlineData(Endpoints.ChatCompletions, """{"model":"m","messages":[{"role":"user","content":"hi"}]}""")]
    [InlineData(Endpoints.Completions, """{"model":"m","prompt":"hi"}""")]
    [InlineData(Endpoints.Responses, """{"model":"m","input":"hi","instructions":"Be brief."}""")]
    [InlineData(Endpoints.Embeddings, """{"model":"m","input":"hi"}""")]
    [InlineData(Endpoints.Moderations, """{"input":["hi","there"]}""")]
    public async Task CompleteAsync_EveryEndpoint_AnswersWhatThatEndpointsReaderAccepts(string url, string body)
    {
        var outcome = await Call(Provider(), url, body);

        outcome.Error.ShouldBe(ErrorKind.None);
        var read = EndpointReaders.For(url).Read(outcome.Response!.Value);
        read.Error.ShouldBe(ErrorKind.None, read.Message);
        read.Usage.ShouldBe(outcome.Usage);
        if (url == Endpoints.Moderations)
        {
            outcome.Usage.ShouldBeNull();
            outcome.Response!.Value.GetProperty("results").GetArrayLength().ShouldBe(2);
        }
    }
}
