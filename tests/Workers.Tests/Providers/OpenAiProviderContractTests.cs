using System.Text.Json;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Workers.Providers;
using Dispatcher.Workers.Providers.OpenAi;
using Dispatcher.Workers.Tests.Providers.Server;

namespace Dispatcher.Workers.Tests.Providers;

public sealed class OpenAiProviderContractTests : OpenAiEndpointContract
{
    protected override string CompletionPath => "/v1/chat/completions";

    protected override string RawBodyWithUnknownFields =>
        """{"model":"provider-model-x","messages":[{"role":"user","content":"hi \u00e9"}],"x_vendor":{"nested":[1,2.50,null,true]},"seed":42}""";

    protected override string CompletionBodyWithoutContent =>
        """{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}""";

    protected override string CompletionBody(string text, int promptTokens, int completionTokens) =>
        Completion(text, "stop", promptTokens, completionTokens);

    [Fact]
    public async Task CallAsync_BodyWithUnknownFields_ReachesServerByteForByte()
    {
        Server.Answer(ScriptedAnswer.Json(200, CompletionBody("ok", 1, 1)));
        const string Raw = """{"model":"provider-model-x","messages":[{"role":"user","content":"hi \u00e9"}],"x_vendor":{"nested":[1,2.50,null,true]},"logit_bias":{"50256":-100},"seed":42}""";

        await CallAsync(body: Json(Raw));

        Server.Received.ShouldHaveSingleItem().Body.ShouldBe(Raw);
    }

    [Fact]
    public async Task CallAsync_BodyNamesModelGroup_UnknownFieldsSurviveModelRewrite()
    {
        Server.Answer(ScriptedAnswer.Json(200, CompletionBody("ok", 1, 1)));
        var sent = Json("""{"messages":[{"role":"user","content":"hi"}],"model":"group-model","x_vendor":{"nested":[1,2.50]},"response_format":{"type":"json_object"},"seed":42}""");

        await CallAsync(body: sent);

        var received = Server.Received.ShouldHaveSingleItem().Json();
        received.GetProperty("model").GetString().ShouldBe(ProviderModel);
        received.EnumerateObject().Count().ShouldBe(sent.EnumerateObject().Count());
        foreach (var property in sent.EnumerateObject().Where(p => p.Name != "model"))
        {
            JsonElement.DeepEquals(received.GetProperty(property.Name), property.Value).ShouldBeTrue(property.Name);
        }

        received.GetProperty("x_vendor").GetProperty("nested")[1].GetRawText().ShouldBe("2.50");
    }

    [Fact]
    public async Task CallAsync_ProviderSendsRateLimitHeaders_ReturnsSnapshotWithoutWait()
    {
        Server.Answer(ScriptedAnswer.Json(
            200,
            CompletionBody("ok", 1, 1),
            ("x-ratelimit-remaining-requests", "59"),
            ("x-ratelimit-remaining-tokens", "149000"),
            ("x-ratelimit-reset-requests", "1s"),
            ("x-ratelimit-reset-tokens", "6m0s")));

        var outcome = await CallAsync();

        outcome.Error.ShouldBe(ErrorKind.None);
        outcome.RateLimit.ShouldBe(new RateLimitSnapshot(59, 149000, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(6)));
        outcome.RetryAfter.ShouldBeNull();
    }

    [Fact]
    public async Task CallAsync_ProviderSaysItsProcessingTime_OutcomeCarriesIt()
    {
        Server.Answer(ScriptedAnswer.Json(200, CompletionBody("ok", 1, 1), ("openai-processing-ms", "137")));

        var outcome = await CallAsync();

        outcome.Error.ShouldBe(ErrorKind.None);
        outcome.ProviderTime.ShouldBe(TimeSpan.FromMilliseconds(137));
    }

    [Fact]
    public async Task CallAsync_429WithRetryAfterAndExhaustedTokenLimit_RetryAfterIsTheWait()
    {
        Server.Answer(ScriptedAnswer.Json(
            429,
            ErrorBody(429, "Rate limit reached for tokens"),
            ("retry-after", "2"),
            ("x-ratelimit-remaining-tokens", "0"),
            ("x-ratelimit-reset-tokens", "20s"),
            ("x-ratelimit-remaining-requests", "10"),
            ("x-ratelimit-reset-requests", "6m0s")));

        var outcome = await CallAsync();

        outcome.Error.ShouldBe(ErrorKind.RateLimited);
        outcome.RetryAfter.ShouldBe(TimeSpan.FromSeconds(2));
        outcome.RateLimit.ShouldNotBeNull().ResetTokens.ShouldBe(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task CallAsync_429WithExhaustedTokenLimitAndNoRetryAfter_ResetIsTheWait()
    {
        Server.Answer(ScriptedAnswer.Json(
            429,
            ErrorBody(429, "Rate limit reached for tokens"),
            ("x-ratelimit-remaining-tokens", "0"),
            ("x-ratelimit-reset-tokens", "20s"),
            ("x-ratelimit-remaining-requests", "10"),
            ("x-ratelimit-reset-requests", "6m0s")));

        var outcome = await CallAsync();

        outcome.Error.ShouldBe(ErrorKind.RateLimited);
        outcome.RetryAfter.ShouldBe(TimeSpan.FromSeconds(20));
    }

    [Theory]
    [InlineData("content_filter")]
    [InlineData("content_policy_violation")]
    public async Task CallAsync_ProviderAnswers400ContentPolicy_ReturnsContentPolicy(string code)
    {
        Server.Answer(ScriptedAnswer.Json(400, $$$"""{"error":{"message":"The prompt was filtered.","type":"invalid_request_error","param":"prompt","code":"{{{code}}}"}}"""));

        var outcome = await CallAsync();

        outcome.Error.ShouldBe(ErrorKind.ContentPolicy);
    }

    [Fact]
    public async Task CallAsync_ProviderFiltersAnswer_ReturnsContentPolicy()
    {
        Server.Answer(ScriptedAnswer.Json(200, """{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null},"finish_reason":"content_filter"}],"usage":{"prompt_tokens":5,"completion_tokens":0,"total_tokens":5}}"""));

        var outcome = await CallAsync();

        outcome.Error.ShouldBe(ErrorKind.ContentPolicy);
    }

    [Fact]
    public async Task CallAsync_BodyAsksForStream_ReturnsInvalidRequestWithoutCalling()
    {
        var outcome = await CallAsync(body: Json("""{"model":"provider-model-x","stream":true,"messages":[{"role":"user","content":"hi"}]}"""));

        outcome.Error.ShouldBe(ErrorKind.InvalidRequest);
        Server.Received.ShouldBeEmpty();
    }

    [Fact]
    public async Task CompleteAsync_KeylessDeployment_SendsPlaceholderKey()
    {
        Server.Answer(ScriptedAnswer.Json(200, CompletionBody("ok", 1, 1)));
        var provider = new OpenAiProvider(Deployment(), apiKey: null, Clock);

        var outcome = await provider.CompleteAsync(new ProviderRequest(ChatBody(), 16, 1), CancellationToken.None);

        outcome.Error.ShouldBe(ErrorKind.None);
        Server.Received.ShouldHaveSingleItem().Header("Authorization").ShouldBe("Bearer " + OpenAiProvider.PlaceholderKey);
    }

    private static string Completion(string? text, string finishReason, int promptTokens, int completionTokens) => JsonSerializer.Serialize(new
    {
        id = "chatcmpl-1",
        @object = "chat.completion",
        created = 1_900_000_000,
        model = ProviderModel,
        choices = new[] { new { index = 0, message = new { role = "assistant", content = text }, finish_reason = finishReason } },
        usage = new { prompt_tokens = promptTokens, completion_tokens = completionTokens, total_tokens = promptTokens + completionTokens },
    });
}
