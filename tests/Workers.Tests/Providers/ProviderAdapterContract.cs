using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Workers.Providers;
using Dispatcher.Workers.Providers.Http;
using Dispatcher.Workers.Tests.Providers.Server;
using Microsoft.Extensions.Time.Testing;

namespace Dispatcher.Workers.Tests.Providers;

/// <summary>
/// What every HTTP provider adapter must do. Each case goes through <see cref="ProviderCallPipeline"/>
/// to a real HTTP server on 127.0.0.1 that answers in the provider's own wire format, at the path
/// the provider's SDK calls. A new adapter gets these cases by subclassing.
/// </summary>
public abstract class ProviderAdapterContract : IAsyncLifetime
{
    protected const string ApiKey = "sk-contract-7f3e9b2a-DO-NOT-LEAK";
    protected const string GroupModel = "group-model";
    protected const string ProviderModel = "provider-model-x";
    protected static readonly DateTimeOffset Now = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private ScriptedProviderServer? _server;

    private protected ScriptedProviderServer Server => _server ?? throw new InvalidOperationException("The server has not started.");

    /// <summary>The adapters' clock, pinned so that HTTP-date and timestamp headers give exact waits.</summary>
    private protected FakeTimeProvider Clock { get; } = new(Now);

    protected abstract ProviderKind Kind { get; }

    /// <summary>The path the provider's SDK posts completions to.</summary>
    protected abstract string CompletionPath { get; }

    /// <summary>The endpoint the cases call (a job's url); chat completions unless a suite is for another.</summary>
    protected virtual string Url => Endpoints.ChatCompletions;

    /// <summary>
    /// The usage the adapter reads from <see cref="CompletionBody"/> with these counts; null for an
    /// endpoint whose answers report none (moderations), whose usage cases then have nothing to check.
    /// </summary>
    protected virtual TokenUsage? ExpectedUsage(int promptTokens, int completionTokens) => new(promptTokens, completionTokens);

    /// <summary>Checks the answer the adapter returned for <see cref="CompletionBody"/>("Hello there", 11, 7).</summary>
    private protected virtual void AssertAnswer(JsonElement response, string sentBody)
    {
        response.GetProperty("object").GetString().ShouldBe("chat.completion");
        var choice = response.GetProperty("choices")[0];
        choice.GetProperty("message").GetProperty("role").GetString().ShouldBe("assistant");
        choice.GetProperty("message").GetProperty("content").GetString().ShouldBe("Hello there");
        choice.GetProperty("finish_reason").GetString().ShouldBe("stop");
        var usage = response.GetProperty("usage");
        usage.GetProperty("prompt_tokens").GetInt32().ShouldBe(11);
        usage.GetProperty("completion_tokens").GetInt32().ShouldBe(7);
        usage.GetProperty("total_tokens").GetInt32().ShouldBe(18);
    }

    /// <summary>A request body for <see cref="Url"/> naming <paramref name="model"/>.</summary>
    private protected virtual JsonElement RequestBody(string model = GroupModel) => ChatBody(model);

    /// <summary>The header the provider puts its request id in.</summary>
    protected abstract string RequestIdHeader { get; }

    /// <summary>A successful completion body in the provider's wire format.</summary>
    protected abstract string CompletionBody(string text, int promptTokens, int completionTokens);

    /// <summary>A 2xx body in the provider's format that lacks the completion's content.</summary>
    protected abstract string CompletionBodyWithoutContent { get; }

    /// <summary>An error body in the provider's format.</summary>
    protected abstract string ErrorBody(int status, string message);

    /// <summary>The provider's 400 body for a prompt that does not fit the context window.</summary>
    protected abstract string ContextLengthErrorBody { get; }

    protected abstract IProviderClient CreateProvider(DeploymentOptions deployment, string apiKey, TimeProvider timeProvider);

    public async Task InitializeAsync() => _server = await ScriptedProviderServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Fact]
    public async Task CallAsync_ProviderAnswersCompletion_ReturnsNoneWithUsageBodyAndRequestId()
    {
        var sent = CompletionBody("Hello there", 11, 7);
        Server.Answer(ScriptedAnswer.Json(200, sent, (RequestIdHeader, "req-contract-1")));

        var outcome = await CallAsync();

        outcome.Error.ShouldBe(ErrorKind.None);
        outcome.StatusCode.ShouldBe(200);
        outcome.Usage.ShouldBe(ExpectedUsage(11, 7));
        outcome.RequestId.ShouldBe("req-contract-1");
        outcome.ErrorMessage.ShouldBeNull();
        AssertAnswer(outcome.Response.ShouldNotBeNull(), sent);
        var received = Server.Received.ShouldHaveSingleItem();
        received.Method.ShouldBe("POST");
        received.Path.ShouldBe(CompletionPath);
    }

    [Fact]
    public async Task CallAsync_BodyNamesModelGroup_ServerReceivesDeploymentModel()
    {
        Server.Answer(ScriptedAnswer.Json(200, CompletionBody("ok", 1, 1)));

        await CallAsync(body: RequestBody(GroupModel));

        Server.Received.ShouldHaveSingleItem().Json().GetProperty("model").GetString().ShouldBe(ProviderModel);
    }

    [Fact]
    public async Task CallAsync_ProviderAnswers429WithRetryAfterSeconds_ReturnsRateLimitedWithRetryAfter()
    {
        Server.Answer(ScriptedAnswer.Json(429, ErrorBody(429, "Rate limit reached"), ("retry-after", "7")));

        var outcome = await CallAsync();

        outcome.Error.ShouldBe(ErrorKind.RateLimited);
        outcome.StatusCode.ShouldBe(429);
        outcome.RetryAfter.ShouldBe(TimeSpan.FromSeconds(7));
        outcome.ErrorMessage.ShouldBe("Rate limit reached");
    }

    [Fact]
    public async Task CallAsync_ProviderAnswers429WithRetryAfterMs_ReturnsRateLimitedWithMilliseconds()
    {
        Server.Answer(ScriptedAnswer.Json(429, ErrorBody(429, "Rate limit reached"), ("retry-after-ms", "1500")));

        var outcome = await CallAsync();

        outcome.Error.ShouldBe(ErrorKind.RateLimited);
        outcome.RetryAfter.ShouldBe(TimeSpan.FromMilliseconds(1500));
    }

    [Fact]
    public async Task CallAsync_ProviderAnswers429WithRetryAfterHttpDate_ReturnsRateLimitedWithWaitUntilThatDate()
    {
        var until = (Now + TimeSpan.FromSeconds(30)).ToString("r", System.Globalization.CultureInfo.InvariantCulture);
        Server.Answer(ScriptedAnswer.Json(429, ErrorBody(429, "Rate limit reached"), ("retry-after", until)));

        var outcome = await CallAsync();

        outcome.Error.ShouldBe(ErrorKind.RateLimited);
        outcome.RetryAfter.ShouldBe(TimeSpan.FromSeconds(30));
    }

    [Theory]
    [InlineData(200, ErrorKind.None)]
    [InlineData(429, ErrorKind.RateLimited)]
    public async Task CallAsync_ProviderSendsAbsurdRateLimitNumbers_ReturnsClassifiedOutcomeWithWaitsClampedToADay(int status, ErrorKind expected)
    {
        Server.Answer(ScriptedAnswer.Json(
            status,
            status == 200 ? CompletionBody("ok", 1, 1) : ErrorBody(status, "Rate limit reached"),
            ("x-ratelimit-remaining-tokens", "0"),
            ("x-ratelimit-reset-tokens", "99999999999999999"),
            ("x-ratelimit-remaining-requests", "99999999999999999999"),
            ("x-ratelimit-reset-requests", "9999999999999999999h"),
            ("anthropic-ratelimit-output-tokens-remaining", "0"),
            ("anthropic-ratelimit-output-tokens-reset", "99999999999999999"),
            ("openai-processing-ms", "1e300")));

        var outcome = await CallAsync();

        outcome.Error.ShouldBe(expected);
        outcome.StatusCode.ShouldBe(status);
        outcome.RetryAfter.ShouldBe(TimeSpan.FromDays(1));
        var limits = outcome.RateLimit.ShouldNotBeNull();
        limits.ResetTokens.ShouldBe(TimeSpan.FromDays(1));
        limits.RemainingRequests.ShouldBe(int.MaxValue);
        outcome.ProviderTime.ShouldBe(TimeSpan.FromDays(1));
        outcome.Anomalies.ShouldNotBeNull().Select(a => a.Kind).Distinct().ShouldBe(
            [ProviderAnomaly.Reset, ProviderAnomaly.Remaining, ProviderAnomaly.ProcessingTime], ignoreOrder: true);
    }

    [Fact]
    public async Task CallAsync_ProviderReportsUsageBeyondRange_ReturnsCompletionWithUsageClampedAndAnAnomaly()
    {
        if (ExpectedUsage(1, 1) is null)
        {
            return; // the endpoint's answers carry no usage to clamp
        }

        Server.Answer(ScriptedAnswer.Json(200, CompletionBody("ok", 5, 7).Replace(":5,", ":99999999999999,", StringComparison.Ordinal)));

        var outcome = await CallAsync();

        outcome.Error.ShouldBe(ErrorKind.None);
        outcome.Usage.ShouldBe(ExpectedUsage(int.MaxValue, 7));
        outcome.Anomalies.ShouldNotBeNull().ShouldHaveSingleItem().Kind.ShouldBe(ProviderAnomaly.Usage);
    }

    [Fact]
    public async Task CallAsync_ProviderAnswersAfterTimeout_ReturnsTimeout()
    {
        Server.Answer(new ScriptedAnswer(200, CompletionBody("too late", 1, 1), Delay: TimeSpan.FromSeconds(30)));

        var outcome = await CallAsync(Deployment(timeoutSeconds: 0.3));

        outcome.Error.ShouldBe(ErrorKind.Timeout);
        outcome.StatusCode.ShouldBeNull();
        outcome.Usage.ShouldBeNull();
    }

    [Fact]
    public async Task CallAsync_CallerCancels_ThrowsOperationCanceled()
    {
        Server.Answer(new ScriptedAnswer(200, CompletionBody("too late", 1, 1), Delay: TimeSpan.FromSeconds(30)));
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Should.ThrowAsync<OperationCanceledException>(() => CallAsync(cancellationToken: cancellation.Token));
    }

    [Fact]
    public async Task CallAsync_ProviderAnswers500_ReturnsServerErrorWithProviderMessage()
    {
        Server.Answer(ScriptedAnswer.Json(500, ErrorBody(500, "The server had an error")));

        var outcome = await CallAsync();

        outcome.Error.ShouldBe(ErrorKind.ServerError);
        outcome.StatusCode.ShouldBe(500);
        outcome.ErrorMessage.ShouldBe("The server had an error");
    }

    [Theory]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(529)]
    public async Task CallAsync_ProviderAnswersUnavailableOrOverloaded_ReturnsServerError(int status)
    {
        Server.Answer(ScriptedAnswer.Json(status, ErrorBody(status, "Overloaded")));

        var outcome = await CallAsync();

        outcome.Error.ShouldBe(ErrorKind.ServerError);
        outcome.StatusCode.ShouldBe(status);
    }

    [Fact]
    public async Task CallAsync_ProviderAnswers200WithNonJsonBody_ReturnsMalformedResponse()
    {
        Server.Answer(new ScriptedAnswer(200, "<html>gateway says hi</html>", ContentType: "text/html"));

        var outcome = await CallAsync();

        outcome.Error.ShouldBe(ErrorKind.MalformedResponse);
        outcome.StatusCode.ShouldBe(200);
        outcome.Response.ShouldBeNull();
        outcome.Usage.ShouldBeNull();
    }

    [Fact]
    public async Task CallAsync_ProviderAnswers200WithoutContent_ReturnsMalformedResponse()
    {
        Server.Answer(ScriptedAnswer.Json(200, CompletionBodyWithoutContent));

        var outcome = await CallAsync();

        outcome.Error.ShouldBe(ErrorKind.MalformedResponse);
        outcome.Response.ShouldBeNull();
    }

    [Fact]
    public async Task CallAsync_ProviderAnswers400ContextLength_ReturnsContextLengthExceeded()
    {
        Server.Answer(ScriptedAnswer.Json(400, ContextLengthErrorBody));

        var outcome = await CallAsync();

        outcome.Error.ShouldBe(ErrorKind.ContextLengthExceeded);
        outcome.StatusCode.ShouldBe(400);
    }

    [Fact]
    public async Task CallAsync_ProviderAnswers400Otherwise_ReturnsInvalidRequest()
    {
        Server.Answer(ScriptedAnswer.Json(400, ErrorBody(400, "temperature: must be at most 2")));

        var outcome = await CallAsync();

        outcome.Error.ShouldBe(ErrorKind.InvalidRequest);
        outcome.ErrorMessage.ShouldBe("temperature: must be at most 2");
    }

    [Fact]
    public async Task CallAsync_ProviderAnswers401_ReturnsAuthentication()
    {
        Server.Answer(ScriptedAnswer.Json(401, ErrorBody(401, "invalid x-api-key")));

        var outcome = await CallAsync();

        outcome.Error.ShouldBe(ErrorKind.Authentication);
        outcome.StatusCode.ShouldBe(401);
    }

    [Fact]
    public async Task CallAsync_NothingListens_ReturnsConnectionFailed()
    {
        var outcome = await CallAsync(Deployment(baseUrl: ClosedPortAddress()));

        outcome.Error.ShouldBe(ErrorKind.ConnectionFailed);
        outcome.StatusCode.ShouldBeNull();
        outcome.ErrorMessage.ShouldNotBeNullOrWhiteSpace();
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(503)]
    public async Task CallAsync_ProviderEchoesKeyInError_OutcomeNeverHoldsKey(int status)
    {
        // The server quotes every header it got, as some gateways do in their 401s.
        Server.Answer(request => ScriptedAnswer.Json(
            status,
            ErrorBody(status, "Incorrect API key provided: " + string.Join("; ", request.Headers.Values)),
            (RequestIdHeader, "req-" + ApiKey)));

        var outcome = await CallAsync();

        Server.Received.ShouldHaveSingleItem().Headers.Values.ShouldContain(v => v.Contains(ApiKey));
        outcome.ErrorMessage.ShouldNotBeNull().ShouldContain("Incorrect API key provided");
        outcome.ToString().ShouldNotContain(ApiKey);
    }

    [Fact]
    public async Task CallAsync_ProviderEchoesKeyInNonJsonBody_OutcomeNeverHoldsKey()
    {
        Server.Answer(request => new ScriptedAnswer(200, "<pre>" + string.Join("; ", request.Headers.Values) + "</pre>", ContentType: "text/html"));

        var outcome = await CallAsync();

        outcome.Error.ShouldBe(ErrorKind.MalformedResponse);
        outcome.ToString().ShouldNotContain(ApiKey);
    }

    [Fact]
    public async Task CallAsync_ConnectionFailsOrTimesOut_OutcomeNeverHoldsKey()
    {
        Server.Answer(new ScriptedAnswer(200, CompletionBody("late", 1, 1), Delay: TimeSpan.FromSeconds(30)));

        var refused = await CallAsync(Deployment(baseUrl: ClosedPortAddress()));
        var timedOut = await CallAsync(Deployment(timeoutSeconds: 0.2));

        refused.Error.ShouldBe(ErrorKind.ConnectionFailed);
        timedOut.Error.ShouldBe(ErrorKind.Timeout);
        refused.ToString().ShouldNotContain(ApiKey);
        timedOut.ToString().ShouldNotContain(ApiKey);
    }

    private protected DeploymentOptions Deployment(double timeoutSeconds = 10, Uri? baseUrl = null) => new()
    {
        Id = "contract",
        ModelGroup = GroupModel,
        Model = ProviderModel,
        Provider = Kind,
        BaseUrl = baseUrl ?? new Uri(Server.Address, "v1"),
        ApiKeyVariable = "CONTRACT_API_KEY",
        TimeoutSeconds = timeoutSeconds,
    };

    private protected static JsonElement ChatBody(string model = GroupModel) =>
        Json($$"""{"model":"{{model}}","messages":[{"role":"user","content":"Say hello"}]}""");

    private protected static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    private protected async Task<ProviderOutcome> CallAsync(
        DeploymentOptions? deployment = null,
        JsonElement? body = null,
        CancellationToken cancellationToken = default)
    {
        deployment ??= Deployment();
        var provider = CreateProvider(deployment, ApiKey, Clock);
        try
        {
            // Real time for the pipeline: its timeout has to fire against a real server.
            var pipeline = new ProviderCallPipeline(deployment, provider, new SecretRedactor(ApiKey), TimeProvider.System);
            return await pipeline.CallAsync(new ProviderRequest(body ?? RequestBody(), MaxTokens: 64, EstimatedPromptTokens: 5, Url: Url), cancellationToken);
        }
        finally
        {
            (provider as IDisposable)?.Dispose();
        }
    }

    private static Uri ClosedPortAddress()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}/v1");
    }
}
