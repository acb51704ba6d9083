using System.ClientModel;
using System.Net.Sockets;
using System.Text.Json;
using Anthropic.Exceptions;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Workers.Providers;
using Dispatcher.Workers.Providers.Http;
using Microsoft.Extensions.Time.Testing;

namespace Dispatcher.Workers.Tests.Providers;

public sealed class ProviderCallPipelineTests
{
    private static readonly ProviderRequest Request = new(JsonDocument.Parse("""{"model":"m","messages":[]}""").RootElement.Clone(), 16, 4);
    private static readonly ProviderOutcome Success = new(ErrorKind.None, 200, null, new TokenUsage(1, 1));

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task CallAsync_ClientAnswers_ReturnsItsOutcome()
    {
        var outcome = await Pipeline(ScriptedProviderClient.Returning(Success)).CallAsync(Request, CancellationToken.None);

        outcome.ShouldBeSameAs(Success);
    }

    [Fact]
    public async Task CallAsync_ClientThrowsHttpRequestException_ReturnsConnectionFailed()
    {
        var client = ScriptedProviderClient.Throwing(new HttpRequestException("Connection refused (127.0.0.1:9)", new SocketException((int)SocketError.ConnectionRefused)));

        var outcome = await Pipeline(client).CallAsync(Request, CancellationToken.None);

        outcome.Error.ShouldBe(ErrorKind.ConnectionFailed);
        outcome.ErrorMessage.ShouldNotBeNull().ShouldContain("127.0.0.1:9");
    }

    [Fact]
    public async Task CallAsync_ClientThrowsSdkWrappedTransportFailure_ReturnsConnectionFailed()
    {
        var openAi = new ClientResultException("Connection reset", null, new HttpRequestException("reset", new IOException("Connection reset by peer")));
        var anthropic = new AnthropicIOException("I/O exception", new HttpRequestException("refused", new SocketException((int)SocketError.ConnectionRefused)));

        var first = await Pipeline(ScriptedProviderClient.Throwing(openAi)).CallAsync(Request, CancellationToken.None);
        var second = await Pipeline(ScriptedProviderClient.Throwing(anthropic)).CallAsync(Request, CancellationToken.None);

        first.Error.ShouldBe(ErrorKind.ConnectionFailed);
        second.Error.ShouldBe(ErrorKind.ConnectionFailed);
    }

    [Fact]
    public async Task CallAsync_ClientThrowsBareIOException_ReturnsConnectionFailed()
    {
        var outcome = await Pipeline(ScriptedProviderClient.Throwing(new IOException("broken pipe"))).CallAsync(Request, CancellationToken.None);

        outcome.Error.ShouldBe(ErrorKind.ConnectionFailed);
    }

    [Fact]
    public async Task CallAsync_ClientThrowsUnexpectedException_ReturnsWorkerFaultNamingIt()
    {
        var client = ScriptedProviderClient.Throwing(new KeyNotFoundException("no 'choices' in the answer"));

        var outcome = await Pipeline(client).CallAsync(Request, CancellationToken.None);

        outcome.Error.ShouldBe(ErrorKind.WorkerFault);
        outcome.ErrorMessage.ShouldNotBeNull().ShouldContain("System.Collections.Generic.KeyNotFoundException: no 'choices' in the answer");
    }

    [Fact]
    public async Task CallAsync_UnexpectedExceptionQuotesTheKey_ReportsItRedacted()
    {
        var client = ScriptedProviderClient.Throwing(new InvalidOperationException("header Authorization: Bearer sk-secret-1 refused"));

        var outcome = await Pipeline(client, redactor: new SecretRedactor("sk-secret-1")).CallAsync(Request, CancellationToken.None);

        outcome.Error.ShouldBe(ErrorKind.WorkerFault);
        outcome.ErrorMessage.ShouldNotBeNull().ShouldNotContain("sk-secret-1");
        outcome.ErrorMessage.ShouldContain("Bearer [redacted] refused");
    }

    [Fact]
    public async Task CallAsync_UnexpectedExceptions_KeepCircuitClosed()
    {
        var client = ScriptedProviderClient.Throwing(new InvalidOperationException("bug"));
        var pipeline = Pipeline(client);

        for (var i = 0; i < 10; i++)
        {
            (await pipeline.CallAsync(Request, CancellationToken.None)).Error.ShouldBe(ErrorKind.WorkerFault);
        }

        client.Calls.ShouldBe(10);
    }

    [Fact]
    public async Task CallAsync_ClientNeverAnswers_ReturnsTimeout()
    {
        var client = ScriptedProviderClient.Hanging();

        var outcome = await Pipeline(client, timeoutSeconds: 0.05, TimeProvider.System).CallAsync(Request, CancellationToken.None);

        outcome.Error.ShouldBe(ErrorKind.Timeout);
        client.Calls.ShouldBe(1);
    }

    [Fact]
    public async Task CallAsync_SdkTimesOutOnItsOwn_ReturnsTimeout()
    {
        var client = ScriptedProviderClient.Throwing(new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout", new TimeoutException()));

        var outcome = await Pipeline(client).CallAsync(Request, CancellationToken.None);

        outcome.Error.ShouldBe(ErrorKind.Timeout);
    }

    [Fact]
    public async Task CallAsync_CallerCancels_ThrowsOperationCanceled()
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        await Should.ThrowAsync<OperationCanceledException>(() => Pipeline(ScriptedProviderClient.Hanging(), timeoutSeconds: 30, TimeProvider.System).CallAsync(Request, cancellation.Token));
    }

    [Fact]
    public async Task CallAsync_CallerAlreadyCancelled_ThrowsWithoutCalling()
    {
        var client = ScriptedProviderClient.Returning(Success);

        await Should.ThrowAsync<OperationCanceledException>(() => Pipeline(client).CallAsync(Request, new CancellationToken(canceled: true)));

        client.Calls.ShouldBe(0);
    }

    [Theory]
    [InlineData(ErrorKind.ServerError)]
    [InlineData(ErrorKind.Timeout)]
    [InlineData(ErrorKind.ConnectionFailed)]
    [InlineData(ErrorKind.MalformedResponse)]
    public async Task CallAsync_FailuresReachMinimumThroughput_OpensCircuit(ErrorKind failure)
    {
        var client = ScriptedProviderClient.Returning(ProviderOutcome.Failure(failure, "failed"));
        var pipeline = Pipeline(client);

        for (var i = 0; i < 4; i++)
        {
            (await pipeline.CallAsync(Request, CancellationToken.None)).Error.ShouldBe(failure);
        }

        var rejected = await pipeline.CallAsync(Request, CancellationToken.None);

        rejected.Error.ShouldBe(ErrorKind.CircuitOpen);
        rejected.RetryAfter.ShouldBe(TimeSpan.FromSeconds(15));
        client.Calls.ShouldBe(4);
    }

    [Theory]
    [InlineData(ErrorKind.RateLimited)]
    [InlineData(ErrorKind.InvalidRequest)]
    [InlineData(ErrorKind.Authentication)]
    [InlineData(ErrorKind.ContextLengthExceeded)]
    [InlineData(ErrorKind.ContentPolicy)]
    public async Task CallAsync_FailuresThatSayNothingAboutHealth_KeepCircuitClosed(ErrorKind failure)
    {
        var client = ScriptedProviderClient.Returning(ProviderOutcome.Failure(failure, "failed"));
        var pipeline = Pipeline(client);

        for (var i = 0; i < 10; i++)
        {
            (await pipeline.CallAsync(Request, CancellationToken.None)).Error.ShouldBe(failure);
        }

        client.Calls.ShouldBe(10);
    }

    [Fact]
    public async Task CallAsync_AttemptTimeouts_CountAgainstCircuit()
    {
        var client = ScriptedProviderClient.Hanging();
        var pipeline = Pipeline(client, timeoutSeconds: 0.02, TimeProvider.System, minimumThroughput: 2);

        (await pipeline.CallAsync(Request, CancellationToken.None)).Error.ShouldBe(ErrorKind.Timeout);
        (await pipeline.CallAsync(Request, CancellationToken.None)).Error.ShouldBe(ErrorKind.Timeout);
        (await pipeline.CallAsync(Request, CancellationToken.None)).Error.ShouldBe(ErrorKind.CircuitOpen);

        client.Calls.ShouldBe(2);
    }

    [Fact]
    public async Task CallAsync_BreakDurationElapsed_LetsTrialCallThrough()
    {
        var failing = true;
        var client = new ScriptedProviderClient(_ => Task.FromResult(failing ? ProviderOutcome.Failure(ErrorKind.ServerError, "down") : Success));
        var pipeline = Pipeline(client);
        for (var i = 0; i < 4; i++)
        {
            await pipeline.CallAsync(Request, CancellationToken.None);
        }

        (await pipeline.CallAsync(Request, CancellationToken.None)).Error.ShouldBe(ErrorKind.CircuitOpen);
        failing = false;
        _clock.Advance(TimeSpan.FromSeconds(15));

        (await pipeline.CallAsync(Request, CancellationToken.None)).Error.ShouldBe(ErrorKind.None);
        (await pipeline.CallAsync(Request, CancellationToken.None)).Error.ShouldBe(ErrorKind.None);
        client.Calls.ShouldBe(6);
    }

    [Fact]
    public async Task CallAsync_SuccessesOutweighFailures_KeepsCircuitClosed()
    {
        var call = 0;
        var client = new ScriptedProviderClient(_ => Task.FromResult(Interlocked.Increment(ref call) % 3 == 0 ? ProviderOutcome.Failure(ErrorKind.ServerError, "x") : Success));
        var pipeline = Pipeline(client);

        for (var i = 0; i < 12; i++)
        {
            (await pipeline.CallAsync(Request, CancellationToken.None)).Error.ShouldNotBe(ErrorKind.CircuitOpen);
        }

        client.Calls.ShouldBe(12);
    }

    [Fact]
    public async Task EnterSlotAsync_MaxParallelSlotsTaken_WaitsUntilOneIsLeft()
    {
        var pipeline = Pipeline(new ScriptedProviderClient(_ => Task.FromResult(Success)), maxParallel: 2);

        await pipeline.EnterSlotAsync(default);
        await pipeline.EnterSlotAsync(default);
        var third = pipeline.EnterSlotAsync(default);
        await Task.Delay(50);
        third.IsCompleted.ShouldBeFalse();
        pipeline.LeaveSlot();

        await third.WaitAsync(TimeSpan.FromSeconds(10));
        var fourth = pipeline.EnterSlotAsync(default);
        await Task.Delay(50);
        fourth.IsCompleted.ShouldBeFalse();
    }

    private ProviderCallPipeline Pipeline(
        ScriptedProviderClient client,
        double timeoutSeconds = 30,
        TimeProvider? timeProvider = null,
        int minimumThroughput = 4,
        int maxParallel = 8,
        SecretRedactor? redactor = null)
    {
        var deployment = new DeploymentOptions
        {
            Id = "pipeline-test",
            MaxParallel = maxParallel,
            ModelGroup = "m",
            TimeoutSeconds = timeoutSeconds,
            Breaker = new CircuitBreakerOptions
            {
                FailureRatio = 0.5,
                MinimumThroughput = minimumThroughput,
                SamplingDurationSeconds = 30,
                BreakDurationSeconds = 15,
            },
        };
        return new ProviderCallPipeline(deployment, client, redactor ?? new SecretRedactor(null), timeProvider ?? _clock);
    }
}
