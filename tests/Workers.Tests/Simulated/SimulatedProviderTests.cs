using System.Text.Json;
using Dispatcher.Catalog;
using Dispatcher.Catalog.Tokens;
using Dispatcher.Contracts;
using Dispatcher.Workers.Providers;
using Dispatcher.Workers.Providers.Simulated;
using MassTransit.Serialization;
using Microsoft.Extensions.Time.Testing;

namespace Dispatcher.Workers.Tests.Simulated;

public sealed class SimulatedProviderTests
{
    private static readonly JsonElement Body = JsonDocument.Parse("""{"model":"m","messages":[{"role":"user","content":"hello"}]}""").RootElement;

    private static SimulatedProvider Provider(Action<SimulationOptions> configure)
    {
        var options = new SimulationOptions { LatencyMs = 0, Seed = 42 };
        configure(options);
        return new SimulatedProvider(new DeploymentOptions { Id = "sim", ModelGroup = "m", Simulation = options }, TimeProvider.System);
    }

    [Fact]
    public async Task CompleteAsync_NoErrors_ReturnsChatCompletionWithUsageWithinLimits()
    {
        var provider = Provider(o => { o.MinCompletionTokens = 5; o.MaxCompletionTokens = 50; });

        for (var i = 0; i < 50; i++)
        {
            var outcome = await provider.CompleteAsync(new ProviderRequest(Body, MaxTokens: 20, EstimatedPromptTokens: 9), default);

            outcome.Error.ShouldBe(ErrorKind.None);
            outcome.Usage!.PromptTokens.ShouldBe(9);
            outcome.Usage.CompletionTokens.ShouldBeInRange(5, 20);
            var response = outcome.Response!.Value;
            response.GetProperty("object").GetString().ShouldBe("chat.completion");
            response.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!.ShouldStartWith("Simulated answer");
            response.GetProperty("usage").GetProperty("completion_tokens").GetInt32().ShouldBe(outcome.Usage.CompletionTokens);
        }
    }

    [Fact]
    public async Task CompleteAsync_RateLimitRateOne_Returns429WithRetryAfter()
    {
        var provider = Provider(o => { o.RateLimitRate = 1; o.RetryAfterSeconds = 7; });

        var outcome = await provider.CompleteAsync(new ProviderRequest(Body, 10, 5), default);

        outcome.Error.ShouldBe(ErrorKind.RateLimited);
        outcome.StatusCode.ShouldBe(429);
        outcome.RetryAfter.ShouldBe(TimeSpan.FromSeconds(7));
        outcome.Usage.ShouldBeNull();
    }

    [Fact]
    public async Task CompleteAsync_ErrorRateOne_Returns500()
    {
        var outcome = await Provider(o => o.ErrorRate = 1).CompleteAsync(new ProviderRequest(Body, 10, 5), default);

        outcome.Error.ShouldBe(ErrorKind.ServerError);
        outcome.StatusCode.ShouldBe(500);
    }

    [Fact]
    public async Task CompleteAsync_ErrorRateHalf_FailsAboutHalf()
    {
        var provider = Provider(o => o.ErrorRate = 0.5);
        var failures = 0;
        for (var i = 0; i < 1000; i++)
        {
            if ((await provider.CompleteAsync(new ProviderRequest(Body, 10, 5), default)).Error == ErrorKind.ServerError)
            {
                failures++;
            }
        }

        failures.ShouldBeInRange(400, 600);
    }

    [Fact]
    public async Task CompleteAsync_WithLatency_SaysHowLongItSpentFromAdmittingTheCall()
    {
        var provider = Provider(o => { o.LatencyMs = 120; o.LatencySigma = 0; });

        var before = TimeProvider.System.GetTimestamp();
        var outcome = await provider.CompleteAsync(new ProviderRequest(Body, 10, 5), default);
        var whole = TimeProvider.System.GetElapsedTime(before);

        outcome.Error.ShouldBe(ErrorKind.None);
        outcome.ProviderTime.ShouldNotBeNull();
        outcome.ProviderTime.Value.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(110), "it includes the simulated latency");
        outcome.ProviderTime.Value.ShouldBeLessThanOrEqualTo(whole, "it never exceeds the call as the caller saw it");
    }

    [Fact]
    public async Task CompleteAsync_RefusedByItsOwnLimit_SpentNoTime()
    {
        var provider = Provider(o => { o.EnforceRpm = 1; o.EnforceWindowSeconds = 60; });

        (await provider.CompleteAsync(new ProviderRequest(Body, 10, 5), default)).Error.ShouldBe(ErrorKind.None);
        var refused = await provider.CompleteAsync(new ProviderRequest(Body, 10, 5), default);

        refused.StatusCode.ShouldBe(429);
        refused.ProviderTime.ShouldBe(TimeSpan.Zero);
    }

    [Fact]
    public async Task CompleteAsync_EnforceInputTpm_RefusesWhenPromptTokensRunOutAndReportsWhatIsLeft()
    {
        // The prompt counts 9 tokens; each answer has 5 completion tokens.
        var provider = Provider(o => { o.EnforceInputTpm = 20; o.MinCompletionTokens = 5; o.MaxCompletionTokens = 5; });

        var first = await provider.CompleteAsync(new ProviderRequest(Body, 10, 9), default);
        (await provider.CompleteAsync(new ProviderRequest(Body, 10, 9), default)).Error.ShouldBe(ErrorKind.None);
        var refused = await provider.CompleteAsync(new ProviderRequest(Body, 10, 9), default);

        first.RateLimit.ShouldNotBeNull().RemainingInputTokens.ShouldBe(11);
        first.RateLimit.RemainingOutputTokens.ShouldBeNull();
        refused.StatusCode.ShouldBe(429);
        refused.RateLimit.ShouldNotBeNull().RemainingInputTokens.ShouldBe(2);
        refused.RetryAfter.ShouldNotBeNull().ShouldBeGreaterThan(TimeSpan.Zero);
    }

    [Fact]
    public async Task CompleteAsync_EnforceOutputTpm_RefusesWhenCompletionTokensRunOut()
    {
        var provider = Provider(o => { o.EnforceOutputTpm = 12; o.MinCompletionTokens = 5; o.MaxCompletionTokens = 5; });

        (await provider.CompleteAsync(new ProviderRequest(Body, 10, 9), default)).Error.ShouldBe(ErrorKind.None);
        var second = await provider.CompleteAsync(new ProviderRequest(Body, 10, 9), default);
        var refused = await provider.CompleteAsync(new ProviderRequest(Body, 10, 9), default);

        second.RateLimit.ShouldNotBeNull().RemainingOutputTokens.ShouldBe(2);
        refused.StatusCode.ShouldBe(429);
        refused.RateLimit.ShouldNotBeNull().RemainingOutputTokens.ShouldBe(2);
    }

    [Fact]
    public async Task CompleteAsync_EnforceConcurrency_RefusesACallBeyondThoseInFlightUntilOneEnds()
    {
        var time = new FakeTimeProvider();
        var options = new SimulationOptions { LatencyMs = 1000, LatencySigma = 0, Seed = 1, EnforceConcurrency = 1, RetryAfterSeconds = 2 };
        var provider = new SimulatedProvider(new DeploymentOptions { Id = "sim", ModelGroup = "m", Simulation = options }, time);

        var running = provider.CompleteAsync(new ProviderRequest(Body, 10, 9), default);
        var refused = await provider.CompleteAsync(new ProviderRequest(Body, 10, 9), default);
        time.Advance(TimeSpan.FromSeconds(1));
        (await running).Error.ShouldBe(ErrorKind.None);
        var next = provider.CompleteAsync(new ProviderRequest(Body, 10, 9), default);
        time.Advance(TimeSpan.FromSeconds(1));

        refused.StatusCode.ShouldBe(429);
        refused.RetryAfter.ShouldBe(TimeSpan.FromSeconds(2));
        (await next).Error.ShouldBe(ErrorKind.None, "the first call's place is free again");
    }

    [Fact]
    public async Task CompleteAsync_OutageWindowAfterFirstCall_Fails503OnlyInsideIt()
    {
        var time = new FakeTimeProvider();
        var options = new SimulationOptions { LatencyMs = 0, Seed = 1, OutageAfterSeconds = 10, OutageSeconds = 5 };
        var provider = new SimulatedProvider(new DeploymentOptions { Id = "sim", ModelGroup = "m", Simulation = options }, time);

        time.Advance(TimeSpan.FromSeconds(30));
        (await provider.CompleteAsync(new ProviderRequest(Body, 10, 5), default)).Error.ShouldBe(ErrorKind.None, "the outage is timed from the first call");
        time.Advance(TimeSpan.FromSeconds(10));
        var down = await provider.CompleteAsync(new ProviderRequest(Body, 10, 5), default);
        down.Error.ShouldBe(ErrorKind.ServerError);
        down.StatusCode.ShouldBe(503);
        time.Advance(TimeSpan.FromSeconds(4.9));
        (await provider.CompleteAsync(new ProviderRequest(Body, 10, 5), default)).Error.ShouldBe(ErrorKind.ServerError);
        time.Advance(TimeSpan.FromSeconds(0.1));
        (await provider.CompleteAsync(new ProviderRequest(Body, 10, 5), default)).Error.ShouldBe(ErrorKind.None);
    }

    [Fact]
    public async Task CompleteAsync_PhasesAfterFirstCall_ChangeLatencyAndErrorsThenRestoreTheDeploymentsOwn()
    {
        var time = new FakeTimeProvider();
        var options = new SimulationOptions
        {
            LatencyMs = 0,
            LatencySigma = 0,
            Seed = 1,
            Phases = [new SimulationPhase { AfterSeconds = 10, LatencyMs = 200, ErrorRate = 1 }, new SimulationPhase { AfterSeconds = 20 }],
        };
        var provider = new SimulatedProvider(new DeploymentOptions { Id = "sim", ModelGroup = "m", Simulation = options }, time);

        time.Advance(TimeSpan.FromSeconds(30));
        (await provider.CompleteAsync(new ProviderRequest(Body, 10, 5), default)).Error.ShouldBe(ErrorKind.None, "phases are timed from the first call");
        time.Advance(TimeSpan.FromSeconds(10));
        var degraded = provider.CompleteAsync(new ProviderRequest(Body, 10, 5), default);
        degraded.IsCompleted.ShouldBeFalse("the phase's 200 ms latency holds the answer");
        time.Advance(TimeSpan.FromMilliseconds(200));
        var failed = await degraded;
        failed.StatusCode.ShouldBe(500);
        failed.Error.ShouldBe(ErrorKind.ServerError);

        time.Advance(TimeSpan.FromSeconds(9.8));
        var recovered = provider.CompleteAsync(new ProviderRequest(Body, 10, 5), default);
        recovered.IsCompleted.ShouldBeTrue("the last phase sets nothing, so the deployment's own zero latency is back");
        (await recovered).Error.ShouldBe(ErrorKind.None);
    }

    [Fact]
    public async Task CompleteAsync_OutageStartsAtInstant_EveryProviderDownOverTheSameWindow()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        var options = new SimulationOptions { LatencyMs = 0, Seed = 1, OutageStartsAt = time.GetUtcNow().AddSeconds(10), OutageSeconds = 5 };
        var early = new SimulatedProvider(new DeploymentOptions { Id = "sim", ModelGroup = "m", Simulation = options }, time);
        (await early.CompleteAsync(new ProviderRequest(Body, 10, 5), default)).Error.ShouldBe(ErrorKind.None);

        time.Advance(TimeSpan.FromSeconds(10));
        // A process started in the middle of the window (a replaced worker) is down at once, like the first.
        var late = new SimulatedProvider(new DeploymentOptions { Id = "sim", ModelGroup = "m", Simulation = options }, time);
        (await early.CompleteAsync(new ProviderRequest(Body, 10, 5), default)).StatusCode.ShouldBe(503);
        (await late.CompleteAsync(new ProviderRequest(Body, 10, 5), default)).StatusCode.ShouldBe(503);
        time.Advance(TimeSpan.FromSeconds(4.9));
        (await late.CompleteAsync(new ProviderRequest(Body, 10, 5), default)).Error.ShouldBe(ErrorKind.ServerError);
        time.Advance(TimeSpan.FromSeconds(0.1));
        (await early.CompleteAsync(new ProviderRequest(Body, 10, 5), default)).Error.ShouldBe(ErrorKind.None);
        (await late.CompleteAsync(new ProviderRequest(Body, 10, 5), default)).Error.ShouldBe(ErrorKind.None);
    }

    [Theory]
    // 3 for the message, 1 for "user", 3 for the reply, and the text: 8 tokens in o200k_base, 9 in cl100k_base, 9 by the heuristic (a token a kana or kanji).
    [InlineData("gpt-4o", 15)]
    [InlineData("gpt-4", 16)]
    [InlineData("claude-haiku", 16)]
    public async Task CompleteAsync_AnyEstimate_ReportsThePromptItsModelsTokenizerCounts(string model, int promptTokens)
    {
        var body = JsonDocument.Parse("""{"model":"m","messages":[{"role":"user","content":"お誕生日おめでとう"}]}""").RootElement;
        var provider = new SimulatedProvider(new DeploymentOptions { Id = "sim", ModelGroup = model, Simulation = new SimulationOptions { LatencyMs = 0, Seed = 1 } }, TimeProvider.System);

        var outcome = await provider.CompleteAsync(new ProviderRequest(body, MaxTokens: 20, EstimatedPromptTokens: 1_000), default);

        outcome.Usage!.PromptTokens.ShouldBe(promptTokens);
    }

    [Fact]
    public async Task CompleteAsync_ToolJobAfterTheBus_ReportsThePromptTheIntakeEstimated()
    {
        // Tools with a nested parameter and a response_format schema, the parts counted as JSON
        // text. The intake counts the body as the bus delivered it (MassTransit's serializer
        // indents it); the worker sets the deployment's model, which writes it compactly.
        var submitted = JsonDocument.Parse("""
            {"model":"tools","messages":[{"role":"user","content":"Where is my order?"}],
             "tools":[{"type":"function","function":{"name":"lookup_order","description":"Look up an order.","parameters":{"type":"object","properties":{
               "order_id":{"type":"string"},"include":{"type":"array","items":{"type":"string","enum":["items","shipping"]}}}}}}],
             "response_format":{"type":"json_schema","json_schema":{"name":"answer","schema":{"type":"object","properties":{"summary":{"type":"string"}}}}}}
            """).RootElement;
        var delivered = JsonDocument.Parse(JsonSerializer.Serialize(submitted, SystemTextJsonMessageSerializer.Options)).RootElement;
        var deployment = new DeploymentOptions { Id = "sim", ModelGroup = "tools", Model = "gpt-4o-mini", Simulation = new SimulationOptions { LatencyMs = 0, Seed = 1 } };
        var estimate = PromptCounters.Shared.For(deployment).Count(delivered, Endpoints.ChatCompletions);
        var provider = new SimulatedProvider(deployment, TimeProvider.System);

        var outcome = await provider.CompleteAsync(new ProviderRequest(RequestBody.WithModel(delivered, deployment.ProviderModel), MaxTokens: 20, estimate), default);

        delivered.GetRawText().ShouldContain("\n");
        outcome.Usage!.PromptTokens.ShouldBe(estimate);
    }

    [Fact]
    public async Task CompleteAsync_RequestOverContextLimit_RefusedAsContextLengthExceeded()
    {
        var provider = Provider(o => o.ContextLimit = 100);

        // The prompt is what the provider counts (9 tokens), not the dispatcher's estimate.
        var over = await provider.CompleteAsync(new ProviderRequest(Body, MaxTokens: 92, EstimatedPromptTokens: 5), default);
        var within = await provider.CompleteAsync(new ProviderRequest(Body, MaxTokens: 91, EstimatedPromptTokens: 5), default);

        over.Error.ShouldBe(ErrorKind.ContextLengthExceeded);
        over.StatusCode.ShouldBe(400);
        within.Error.ShouldBe(ErrorKind.None);
    }
}
