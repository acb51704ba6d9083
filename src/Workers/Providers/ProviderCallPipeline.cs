using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Workers.Providers.Http;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Dispatcher.Workers.Providers;

/// <summary>
/// Runs one deployment's calls through an attempt timeout and a circuit breaker, and turns every
/// way a call can fail into a <see cref="ProviderOutcome"/>: <see cref="CallAsync"/> throws only
/// when the caller cancels. An exception the adapter did not expect becomes a
/// <see cref="ErrorKind.WorkerFault"/> outcome of that one call, so it fails its own attempt and
/// never the others that came with it. It never retries; that is the dispatcher's failure flow's decision.
/// </summary>
internal sealed class ProviderCallPipeline
{
    private readonly IProviderClient _client;
    private readonly SecretRedactor _redactor;
    private readonly TimeSpan _timeout;
    private readonly ResiliencePipeline<ProviderOutcome> _pipeline;

    // Attempts arrive in packs, several to a message, so the endpoint's message limit alone
    // does not bound the calls; this does, across every pack.
    private readonly SemaphoreSlim _slots;

    /// <summary>Creates the pipeline for <paramref name="deployment"/>'s calls through <paramref name="client"/>.</summary>
    /// <param name="deployment">Gives <see cref="DeploymentOptions.TimeoutSeconds"/> and <see cref="DeploymentOptions.Breaker"/>.</param>
    /// <param name="client">The deployment's adapter.</param>
    /// <param name="redactor">Removes the deployment's key from the messages of exceptions the adapter throws.</param>
    /// <param name="timeProvider">The clock for the timeout and the breaker's windows.</param>
    public ProviderCallPipeline(DeploymentOptions deployment, IProviderClient client, SecretRedactor redactor, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(redactor);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _client = client;
        _redactor = redactor;
        _timeout = TimeSpan.FromSeconds(deployment.TimeoutSeconds);
        _slots = new SemaphoreSlim(deployment.MaxParallel, deployment.MaxParallel);
        var breaker = deployment.Breaker;
        _pipeline = new ResiliencePipelineBuilder<ProviderOutcome> { Name = $"provider.{deployment.Id}", TimeProvider = timeProvider }
            // The breaker wraps the timeout so that attempts cut off by it count as failures.
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<ProviderOutcome>
            {
                FailureRatio = breaker.FailureRatio,
                SamplingDuration = TimeSpan.FromSeconds(breaker.SamplingDurationSeconds),
                MinimumThroughput = breaker.MinimumThroughput,
                BreakDuration = TimeSpan.FromSeconds(breaker.BreakDurationSeconds),
                ShouldHandle = static args => ValueTask.FromResult(CountsAgainstDeployment(args.Outcome)),
            })
            .AddTimeout(_timeout)
            .Build();
    }

    /// <summary>
    /// Waits until fewer than the deployment's <see cref="DeploymentOptions.MaxParallel"/> calls
    /// run; the caller must <see cref="LeaveSlot"/> when its call ends.
    /// </summary>
    public Task EnterSlotAsync(CancellationToken cancellationToken) => _slots.WaitAsync(cancellationToken);

    /// <summary>Gives back the slot <see cref="EnterSlotAsync"/> took.</summary>
    public void LeaveSlot() => _slots.Release();

    /// <summary>Makes one call; a provider failure comes back as an outcome, never as an exception.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<ProviderOutcome> CallAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            return await _pipeline.ExecuteAsync(
                static (ctx, state) => state.Self.AttemptAsync(state.Request, ctx.CancellationToken),
                context,
                (Self: this, Request: request)).ConfigureAwait(false);
        }
        catch (TimeoutRejectedException)
        {
            return ProviderOutcome.Failure(ErrorKind.Timeout, $"The provider did not answer within {_timeout.TotalSeconds:0.###} s.");
        }
        catch (BrokenCircuitException ex)
        {
            return new ProviderOutcome(
                ErrorKind.CircuitOpen,
                null,
                null,
                null,
                "The deployment's circuit breaker is open after repeated failures; the call was not made.",
                ex.RetryAfter);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    // Only failures that say something about the deployment's health count: a 429 or a bad request
    // is the caller's or the quota's business, and a worker's own fault is the worker's; none of
    // them must take a healthy deployment out of service.
    private static bool CountsAgainstDeployment(Outcome<ProviderOutcome> outcome) =>
        outcome.Exception is TimeoutRejectedException
        || outcome.Result?.Error is ErrorKind.ServerError or ErrorKind.Timeout or ErrorKind.ConnectionFailed or ErrorKind.MalformedResponse;

    private async ValueTask<ProviderOutcome> AttemptAsync(ProviderRequest request, CancellationToken attemptToken)
    {
        try
        {
            return await _client.CompleteAsync(request, attemptToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (attemptToken.IsCancellationRequested)
        {
            // The timeout strategy (or the caller) recognises its own cancellation. HttpClient's
            // cancellation exception wraps the aborted socket's IOException, so this must come
            // before the connection-failure check.
            throw;
        }
        catch (Exception ex) when (attemptToken.IsCancellationRequested)
        {
            // An aborted request sometimes surfaces as a bare I/O error; report it as the
            // cancellation it is.
            throw new OperationCanceledException("The provider call was cancelled.", ex, attemptToken);
        }
        catch (OperationCanceledException)
        {
            // Nobody here cancelled: the SDK's own network timeout fired.
            return ProviderOutcome.Failure(ErrorKind.Timeout, "The provider client timed out.");
        }
        catch (Exception ex) when (ConnectionFailure.IsMatch(ex))
        {
            return ProviderOutcome.Failure(ErrorKind.ConnectionFailed, ConnectionFailure.Describe(ex));
        }
        catch (Exception ex)
        {
            // Anything else (a bug in reading an answer, an SDK exception no adapter knows) is this
            // attempt's failure: reported like any other outcome, so the dispatcher decides what
            // follows, and the calls that came in the same pack still report theirs. Type and
            // message only: servers have echoed keys in what SDKs then put in exceptions.
            return ProviderOutcome.Failure(ErrorKind.WorkerFault, _redactor.Redact($"The worker failed running the call: {ex.GetType().FullName}: {ex.Message}")!);
        }
    }
}
