using Dispatcher.Contracts;
using Dispatcher.Workers.Providers;
using Dispatcher.Workers.Providers.Http;
using Microsoft.Extensions.Time.Testing;

namespace Dispatcher.Workers.Tests.Providers.Http;

public sealed class ProviderResponseClassifierTests
{
    private const string Completion =
        """{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}""";

    private readonly ProviderResponseClassifier _classifier = new(new ChatCompletionReader(), new FakeTimeProvider(DateTimeOffset.UnixEpoch));

    [Theory]
    [InlineData(429, ErrorKind.RateLimited)]
    [InlineData(408, ErrorKind.Timeout)]
    [InlineData(500, ErrorKind.ServerError)]
    [InlineData(502, ErrorKind.ServerError)]
    [InlineData(503, ErrorKind.ServerError)]
    [InlineData(504, ErrorKind.ServerError)]
    [InlineData(529, ErrorKind.ServerError)]
    [InlineData(400, ErrorKind.InvalidRequest)]
    [InlineData(404, ErrorKind.InvalidRequest)]
    [InlineData(422, ErrorKind.InvalidRequest)]
    [InlineData(401, ErrorKind.Authentication)]
    [InlineData(403, ErrorKind.Authentication)]
    [InlineData(302, ErrorKind.MalformedResponse)]
    public void Classify_ErrorStatus_ReturnsKind(int status, ErrorKind expected)
    {
        var outcome = Classify(status, """{"error":{"message":"something","type":"x"}}""");

        outcome.Error.ShouldBe(expected);
        outcome.StatusCode.ShouldBe(status);
        outcome.Response.ShouldBeNull();
    }

    [Theory]
    [InlineData("""{"error":{"message":"Too long.","type":"invalid_request_error","code":"context_length_exceeded"}}""")]
    [InlineData("""{"error":{"message":"This model's maximum context length is 4096 tokens.","type":"invalid_request_error","code":null}}""")]
    [InlineData("""{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}}""")]
    [InlineData("""{"type":"error","error":{"type":"invalid_request_error","message":"input length and `max_tokens` exceed context limit: 187254 + 20000 > 200000"}}""")]
    [InlineData("""{"object":"error","message":"This model's maximum context length is 2048 tokens.","type":"BadRequestError","code":400}""")]
    public void Classify_400ContextLength_ReturnsContextLengthExceeded(string body)
    {
        Classify(400, body).Error.ShouldBe(ErrorKind.ContextLengthExceeded);
    }

    [Theory]
    [InlineData("""{"error":{"message":"Filtered.","type":null,"param":"prompt","code":"content_filter","status":400}}""")]
    [InlineData("""{"error":{"message":"Your request was rejected.","type":"invalid_request_error","code":"content_policy_violation"}}""")]
    public void Classify_400ContentPolicy_ReturnsContentPolicy(string body)
    {
        Classify(400, body).Error.ShouldBe(ErrorKind.ContentPolicy);
    }

    [Theory]
    [InlineData("""{"error":{"message":"Invalid 'temperature'.","type":"invalid_request_error","code":null}}""", "Invalid 'temperature'.")]
    [InlineData("""{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}""", "Overloaded")]
    [InlineData("""{"object":"error","message":"model not found","type":"NotFoundError","code":404}""", "model not found")]
    [InlineData("""{"error":"upstream unavailable"}""", "upstream unavailable")]
    [InlineData("""{"detail":"Not Found"}""", "Not Found")]
    [InlineData("<html><body>Bad Gateway</body></html>", "<html><body>Bad Gateway</body></html>")]
    public void Classify_ErrorBody_ReturnsProviderMessage(string body, string expected)
    {
        Classify(502, body).ErrorMessage.ShouldBe(expected);
    }

    [Fact]
    public void Classify_ErrorWithoutBody_ReturnsMessageNamingStatus()
    {
        Classify(503, "").ErrorMessage.ShouldNotBeNull().ShouldContain("503");
    }

    [Fact]
    public void Classify_200Completion_ReturnsNoneWithUsageAndBody()
    {
        var outcome = Classify(200, Completion, ("x-request-id", "req_1"));

        outcome.Error.ShouldBe(ErrorKind.None);
        outcome.Usage.ShouldBe(new TokenUsage(3, 2));
        outcome.RequestId.ShouldBe("req_1");
        outcome.Response.ShouldNotBeNull().GetProperty("id").GetString().ShouldBe("c1");
    }

    [Fact]
    public void Classify_PromptTokensDetailsCachedTokens_ReadAsCachedPromptTokens()
    {
        var body = Completion.Replace("\"total_tokens\":5}", "\"total_tokens\":5,\"prompt_tokens_details\":{\"cached_tokens\":2}}", StringComparison.Ordinal);

        Classify(200, body).Usage.ShouldBe(new TokenUsage(3, 2, 2));
    }

    [Fact]
    public void Classify_ResponsesInputTokensDetailsCachedTokens_ReadAsCachedPromptTokens()
    {
        var classifier = new ProviderResponseClassifier(new ResponsesReader(), new FakeTimeProvider(DateTimeOffset.UnixEpoch));
        const string body = """{"id":"resp_1","object":"response","status":"completed","model":"m","output":[],"usage":{"input_tokens":50,"input_tokens_details":{"cached_tokens":40},"output_tokens":7,"total_tokens":57}}""";

        classifier.Classify(200, ProviderResponseHeaders.From(Array.Empty<KeyValuePair<string, string>>()), body).Usage.ShouldBe(new TokenUsage(50, 7, 40));
    }

    [Fact]
    public void Classify_RequestIdHeader_IsRead()
    {
        Classify(500, "", ("request-id", "req_anthropic")).RequestId.ShouldBe("req_anthropic");
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("""{"choices":[]}""")]
    [InlineData("""{"choices":[{"index":0,"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1}}""")]
    [InlineData("""{"choices":[{"message":{"role":"assistant"}}],"usage":{"prompt_tokens":1,"completion_tokens":1}}""")]
    [InlineData("""{"choices":[{"message":{"role":"assistant","content":"hi"}}]}""")]
    [InlineData("""{"choices":[{"message":{"role":"assistant","content":"hi"}}],"usage":{"prompt_tokens":"1","completion_tokens":1}}""")]
    public void Classify_200NotACompletion_ReturnsMalformedResponse(string body)
    {
        var outcome = Classify(200, body);

        outcome.Error.ShouldBe(ErrorKind.MalformedResponse);
        outcome.Response.ShouldBeNull();
        outcome.Usage.ShouldBeNull();
    }

    [Fact]
    public void Classify_200WithToolCallsAndNullContent_ReturnsNone()
    {
        const string Body = """{"choices":[{"message":{"role":"assistant","content":null,"tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":4,"completion_tokens":6}}""";

        Classify(200, Body).Error.ShouldBe(ErrorKind.None);
    }

    [Fact]
    public void Classify_200Refusal_ReturnsContentPolicyWithRefusal()
    {
        const string Body = """{"choices":[{"message":{"role":"assistant","content":null,"refusal":"I can't help with that."},"finish_reason":"stop"}],"usage":{"prompt_tokens":4,"completion_tokens":6}}""";

        var outcome = Classify(200, Body);

        outcome.Error.ShouldBe(ErrorKind.ContentPolicy);
        outcome.ErrorMessage.ShouldBe("I can't help with that.");
    }

    [Fact]
    public void Classify_429WithHeaders_CarriesRetryAfterAndSnapshot()
    {
        var outcome = Classify(429, "", ("retry-after", "4"), ("x-ratelimit-remaining-requests", "0"), ("x-ratelimit-reset-requests", "9s"));

        outcome.RetryAfter.ShouldBe(TimeSpan.FromSeconds(4));
        outcome.RateLimit.ShouldBe(new RateLimitSnapshot(0, null, TimeSpan.FromSeconds(9), null));
    }

    [Theory]
    [InlineData(200, "250", 250.0)]
    [InlineData(429, "12.5", 12.5)]
    [InlineData(200, "0", 0.0)]
    public void Classify_ProcessingTimeHeader_CarriesIt(int status, string header, double expectedMs)
    {
        var outcome = Classify(status, status == 200 ? Completion : "", ("openai-processing-ms", header));

        outcome.ProviderTime.ShouldBe(TimeSpan.FromMilliseconds(expectedMs));
    }

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-3")]
    [InlineData("NaN")]
    public void Classify_ProcessingTimeHeaderNotANonNegativeNumber_LeavesItUnknown(string header)
    {
        Classify(200, Completion, ("openai-processing-ms", header)).ProviderTime.ShouldBeNull();
        Classify(200, Completion).ProviderTime.ShouldBeNull();
    }

    [Theory]
    [InlineData("99999999999999", int.MaxValue)]
    [InlineData("1e300", int.MaxValue)]
    [InlineData("1e400", int.MaxValue)]
    [InlineData("-5", 0)]
    [InlineData("-99999999999999", 0)]
    public void Classify_ImpossibleUsage_KeepsTheCompletionWithTheCountBounded(string promptTokens, int expected)
    {
        var body = Completion.Replace("\"prompt_tokens\":3", $"\"prompt_tokens\":{promptTokens}", StringComparison.Ordinal);

        var outcome = Classify(200, body);

        outcome.Error.ShouldBe(ErrorKind.None);
        outcome.Usage.ShouldBe(new TokenUsage(expected, 2));
        outcome.Anomalies.ShouldNotBeNull().ShouldHaveSingleItem().Kind.ShouldBe(ProviderAnomaly.Usage);
    }

    [Fact]
    public void Classify_FractionalUsage_IsNotACompletion()
    {
        Classify(200, Completion.Replace("\"prompt_tokens\":3", "\"prompt_tokens\":2.5", StringComparison.Ordinal)).Error.ShouldBe(ErrorKind.MalformedResponse);
    }

    [Fact]
    public void Classify_SaneAnswer_HasNoAnomalies()
    {
        Classify(200, Completion, ("openai-processing-ms", "120"), ("x-ratelimit-reset-tokens", "6m0s")).Anomalies.ShouldBeNull();
    }

    [Theory]
    [InlineData("1e300")]
    [InlineData("100000000000")]
    [InlineData("Infinity")]
    public void Classify_AbsurdProcessingTime_ClampsToADay(string header)
    {
        var outcome = Classify(200, Completion, ("openai-processing-ms", header));

        outcome.ProviderTime.ShouldBe(TimeSpan.FromDays(1));
        outcome.Anomalies.ShouldNotBeNull().ShouldHaveSingleItem().Kind.ShouldBe(ProviderAnomaly.ProcessingTime);
    }

    private Workers.Providers.ProviderOutcome Classify(int status, string body, params (string Name, string Value)[] headers) =>
        _classifier.Classify(status, ProviderResponseHeaders.From(headers.Select(h => KeyValuePair.Create(h.Name, h.Value))), body);
}
