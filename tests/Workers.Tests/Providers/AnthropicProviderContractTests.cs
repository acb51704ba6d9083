using System.Text.Json;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Workers.Providers;
using Dispatcher.Workers.Providers.Anthropic;
using Dispatcher.Workers.Tests.Providers.Server;

namespace Dispatcher.Workers.Tests.Providers;

public sealed class AnthropicProviderContractTests : ProviderAdapterContract
{
    protected override ProviderKind Kind => ProviderKind.Anthropic;

    protected override string CompletionPath => "/v1/messages";

    protected override string RequestIdHeader => "request-id";

    protected override string CompletionBodyWithoutContent =>
        """{"id":"msg_01","type":"message","role":"assistant","model":"m","stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}""";

    protected override string ContextLengthErrorBody =>
        """{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 212345 tokens > 200000 maximum"}}""";

    protected override IProviderClient CreateProvider(DeploymentOptions deployment, string apiKey, TimeProvider timeProvider) =>
        new AnthropicProvider(deployment, apiKey, timeProvider);

    protected override string CompletionBody(string text, int promptTokens, int completionTokens) =>
        Message(text, "end_turn", promptTokens, completionTokens);

    protected override string ErrorBody(int status, string message) => JsonSerializer.Serialize(new
    {
        type = "error",
        error = new
        {
            type = status switch
            {
                401 => "authentication_error",
                403 => "permission_error",
                429 => "rate_limit_error",
                529 => "overloaded_error",
                >= 500 => "api_error",
                _ => "invalid_request_error",
            },
            message,
        },
    });

    [Fact]
    public async Task CallAsync_OpenAiBody_ServerReceivesMessagesApiBody()
    {
        Server.Answer(ScriptedAnswer.Json(200, CompletionBody("ok", 1, 1)));
        var body = Json("""
            {
              "model": "group-model",
              "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "developer", "content": [{"type": "text", "text": "Answer in English."}]},
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello"},
                {"role": "user", "content": [{"type": "text", "text": "Again"}]}
              ],
              "max_completion_tokens": 99,
              "max_tokens": 5,
              "temperature": 0.2,
              "top_p": 0.9,
              "stop": ["END", "STOP"],
              "user": "user-1",
              "x_unknown": 1
            }
            """);

        await CallAsync(body: body);

        var sent = Server.Received.ShouldHaveSingleItem().Json();
        sent.GetProperty("model").GetString().ShouldBe(ProviderModel);
        sent.GetProperty("system").GetString().ShouldBe("Be brief.\n\nAnswer in English.");
        var messages = sent.GetProperty("messages").EnumerateArray().ToList();
        messages.Select(m => m.GetProperty("role").GetString()).ShouldBe(["user", "assistant", "user"]);
        messages[0].GetProperty("content").GetString().ShouldBe("Hi");
        messages[2].GetProperty("content")[0].GetProperty("text").GetString().ShouldBe("Again");
        sent.GetProperty("max_tokens").GetInt32().ShouldBe(99);
        sent.GetProperty("temperature").GetDouble().ShouldBe(0.2);
        sent.GetProperty("top_p").GetDouble().ShouldBe(0.9);
        sent.GetProperty("stop_sequences").EnumerateArray().Select(s => s.GetString()).ShouldBe(["END", "STOP"]);
        sent.GetProperty("metadata").GetProperty("user_id").GetString().ShouldBe("user-1");
        sent.TryGetProperty("stop", out _).ShouldBeFalse();
        sent.TryGetProperty("x_unknown", out _).ShouldBeFalse();
    }

    [Fact]
    public async Task CallAsync_BodyWithoutMaxTokens_SendsRequestMaxTokens()
    {
        Server.Answer(ScriptedAnswer.Json(200, CompletionBody("ok", 1, 1)));

        await CallAsync(body: ChatBody());

        Server.Received.ShouldHaveSingleItem().Json().GetProperty("max_tokens").GetInt32().ShouldBe(64);
    }

    [Fact]
    public async Task CallAsync_BodyWithMaxTokensAndStopString_SendsMaxTokensAndOneStopSequence()
    {
        Server.Answer(ScriptedAnswer.Json(200, CompletionBody("ok", 1, 1)));

        await CallAsync(body: Json("""{"model":"group-model","messages":[{"role":"user","content":"hi"}],"max_tokens":33,"stop":"END"}"""));

        var sent = Server.Received.ShouldHaveSingleItem().Json();
        sent.GetProperty("max_tokens").GetInt32().ShouldBe(33);
        sent.GetProperty("stop_sequences").EnumerateArray().Select(s => s.GetString()).ShouldBe(["END"]);
    }

    [Theory]
    [InlineData("end_turn", "stop")]
    [InlineData("stop_sequence", "stop")]
    [InlineData("max_tokens", "length")]
    public async Task CallAsync_ProviderStopReason_MapsToFinishReason(string stopReason, string finishReason)
    {
        Server.Answer(ScriptedAnswer.Json(200, Message("partial", stopReason, 3, 2)));

        var outcome = await CallAsync();

        outcome.Error.ShouldBe(ErrorKind.None);
        outcome.Response.ShouldNotBeNull().GetProperty("choices")[0].GetProperty("finish_reason").GetString().ShouldBe(finishReason);
    }

    [Fact]
    public async Task CallAsync_ProviderAnswersMessage_ReturnsOpenAiCompletionWithIdModelAndCreated()
    {
        Server.Answer(ScriptedAnswer.Json(200, """
            {"id":"msg_42","type":"message","role":"assistant","model":"claude-answering",
             "content":[{"type":"text","text":"Hel"},{"type":"thinking","thinking":"hidden"},{"type":"text","text":"lo"}],
             "stop_reason":"end_turn","usage":{"input_tokens":12,"output_tokens":4}}
            """));

        var outcome = await CallAsync();

        var response = outcome.Response.ShouldNotBeNull();
        response.GetProperty("id").GetString().ShouldBe("msg_42");
        response.GetProperty("model").GetString().ShouldBe("claude-answering");
        response.GetProperty("created").GetInt64().ShouldBe(Now.ToUnixTimeSeconds());
        response.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString().ShouldBe("Hello");
        outcome.Usage.ShouldBe(new TokenUsage(12, 4));
    }

    [Fact]
    public async Task CallAsync_ProviderRefuses_ReturnsContentPolicy()
    {
        Server.Answer(ScriptedAnswer.Json(200, Message("", "refusal", 9, 0)));

        var outcome = await CallAsync();

        outcome.Error.ShouldBe(ErrorKind.ContentPolicy);
    }

    [Fact]
    public async Task CallAsync_429WithAnthropicRateLimitHeaders_ReturnsSnapshotAndRetryAfterAsWait()
    {
        Server.Answer(ScriptedAnswer.Json(
            429,
            ErrorBody(429, "Number of request tokens has exceeded your per-minute rate limit"),
            ("retry-after", "10"),
            ("anthropic-ratelimit-requests-remaining", "0"),
            ("anthropic-ratelimit-requests-reset", "2030-01-01T00:00:20Z"),
            ("anthropic-ratelimit-tokens-remaining", "5000"),
            ("anthropic-ratelimit-tokens-reset", "2030-01-01T00:00:50Z"),
            ("request-id", "req_anthropic_1")));

        var outcome = await CallAsync();

        outcome.Error.ShouldBe(ErrorKind.RateLimited);
        outcome.RequestId.ShouldBe("req_anthropic_1");
        outcome.RateLimit.ShouldBe(new RateLimitSnapshot(0, 5000, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(50)));
        outcome.RetryAfter.ShouldBe(TimeSpan.FromSeconds(10), "retry-after is the wait; the exhausted limit's reset is only the snapshot's");
    }

    [Fact]
    public async Task CallAsync_BaseUrlWithoutVersion_CallsMessagesPath()
    {
        Server.Answer(ScriptedAnswer.Json(200, CompletionBody("ok", 1, 1)));

        var outcome = await CallAsync(Deployment(baseUrl: Server.Address));

        outcome.Error.ShouldBe(ErrorKind.None);
        Server.Received.ShouldHaveSingleItem().Path.ShouldBe("/v1/messages");
    }

    [Fact]
    public async Task CallAsync_ToolMessage_ReturnsInvalidRequestWithoutCalling()
    {
        var outcome = await CallAsync(body: Json("""{"model":"group-model","messages":[{"role":"user","content":"hi"},{"role":"tool","tool_call_id":"t1","content":"42"}]}"""));

        outcome.Error.ShouldBe(ErrorKind.InvalidRequest);
        Server.Received.ShouldBeEmpty();
    }

    private static string Message(string text, string stopReason, int inputTokens, int outputTokens) => JsonSerializer.Serialize(new
    {
        id = "msg_01",
        type = "message",
        role = "assistant",
        model = ProviderModel,
        content = new[] { new { type = "text", text } },
        stop_reason = stopReason,
        stop_sequence = (string?)null,
        usage = new { input_tokens = inputTokens, output_tokens = outputTokens },
    });
}
