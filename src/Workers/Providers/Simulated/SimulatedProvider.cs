using System.Text.Json;
using Dispatcher.Catalog;
using Dispatcher.Catalog.Tokens;
using Dispatcher.Contracts;

namespace Dispatcher.Workers.Providers.Simulated;

/// <summary>
/// The built-in simulated provider: answers like OpenAI's endpoints (chat completions, completions,
/// responses, embeddings, moderations: <see cref="SimulatedAnswers"/>) with a
/// configured latency distribution, error rate, 429 rate with Retry-After, and token usage,
/// which may change over the run (<see cref="SimulationOptions.Phases"/>).
/// It is how a pipeline is tried, load-tested and benchmarked without spending money.
/// </summary>
internal sealed class SimulatedProvider : IProviderClient
{
    private readonly DeploymentOptions _deployment;
    private readonly SimulationOptions _options;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly Lock _randomGate = new();
    private readonly SimulatedLimits _limits;
    private readonly SimulatedAnswers _answers;
    private readonly PromptCounter _prompt;
    private long _firstCallTicks = long.MinValue;
    private readonly SimulatedCallLog? _callLog;
    private long _sequence;

    public SimulatedProvider(DeploymentOptions deployment, TimeProvider time)
    {
        _deployment = deployment;
        _options = deployment.Simulation;
        _time = time;
        _random = _options.Seed is { } seed ? new Random(seed) : new Random();
        _limits = new SimulatedLimits(_options, time);
        _answers = new SimulatedAnswers(deployment.Id, _options.EmbeddingDimensions);
        _prompt = PromptCounters.Shared.For(deployment);
        _callLog = string.IsNullOrWhiteSpace(_options.CallLogPath) ? null : new SimulatedCallLog(_options.CallLogPath, time);
    }

    public async Task<ProviderOutcome> CompleteAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        if (_callLog is not null)
        {
            await _callLog.AppendAsync(_deployment.Id, request, cancellationToken);
        }

        // Like a real provider, it counts the prompt it reads with its model's tokenizer (the
        // deployment's), whatever the dispatcher estimated.
        var promptTokens = _prompt.Count(request.Body, request.Url);

        // Embeddings and moderations produce no tokens: the call still draws its latency and faults.
        var draw = Draw(request.MaxTokens);
        if (!SimulatedAnswers.Generates(request.Url))
        {
            draw = draw with { CompletionTokens = 0 };
        }

        var requestId = $"sim-{_deployment.Id}-{Interlocked.Increment(ref _sequence)}";
        RateLimitSnapshot? remaining = null;
        if (_limits.Enforced && !_limits.TryAdmit(promptTokens, draw.CompletionTokens, out var wait, out remaining))
        {
            return new ProviderOutcome(ErrorKind.RateLimited, 429, null, null, "simulated provider limit exceeded", wait, requestId, remaining, TimeSpan.Zero);
        }

        try
        {
            // Like openai-processing-ms: the time from the provider counting the call to its answer.
            var admitted = _time.GetTimestamp();
            var outcome = await AnswerAsync(request, promptTokens, draw, requestId, remaining, cancellationToken);
            return outcome with { ProviderTime = _time.GetElapsedTime(admitted) };
        }
        finally
        {
            if (_limits.Enforced)
            {
                _limits.Leave();
            }
        }
    }

    private async Task<ProviderOutcome> AnswerAsync(ProviderRequest request, int promptTokens, Draw draw, string requestId, RateLimitSnapshot? remaining, CancellationToken cancellationToken)
    {
        if (draw.Latency > TimeSpan.Zero)
        {
            await Task.Delay(draw.Latency, _time, cancellationToken);
        }

        if (_options.ContextLimit is { } limit && promptTokens + request.MaxTokens > limit)
        {
            return new ProviderOutcome(
                ErrorKind.ContextLengthExceeded, 400, null, null, $"simulated context length exceeded: {promptTokens + request.MaxTokens} tokens requested, the model holds {limit}", null, requestId);
        }

        if (InOutage())
        {
            return new ProviderOutcome(ErrorKind.ServerError, 503, null, null, "simulated outage", null, requestId);
        }

        if (draw.RateLimited)
        {
            var retryAfter = TimeSpan.FromSeconds(_options.RetryAfterSeconds);
            return new ProviderOutcome(ErrorKind.RateLimited, 429, null, null, "simulated rate limit", retryAfter, requestId);
        }

        if (draw.Failed)
        {
            return new ProviderOutcome(ErrorKind.ServerError, 500, null, null, "simulated server error", null, requestId);
        }

        var usage = new TokenUsage(promptTokens, draw.CompletionTokens);
        var response = Response(request, usage, requestId);

        // Moderations report no usage, as OpenAI's do; the dispatcher settles them at the estimate.
        var reported = request.Url == Endpoints.Moderations ? null : usage;
        return new ProviderOutcome(ErrorKind.None, 200, response, reported, null, null, requestId, remaining);
    }

    // An outage after a delay is timed from the deployment's first call, so it falls inside the
    // work however long the processes took to start; one at an instant is the same for every process.
    private bool InOutage()
    {
        if (_options.OutageStartsAt is { } startsAt)
        {
            var at = _time.GetUtcNow();
            return at >= startsAt && at < startsAt.AddSeconds(_options.OutageSeconds);
        }

        if (_options.OutageAfterSeconds is not { } after)
        {
            return false;
        }

        var elapsed = SinceFirstCall();
        return elapsed >= after && elapsed < after + _options.OutageSeconds;
    }

    // Seconds since the deployment's first call in this process (0 for the first call itself).
    private double SinceFirstCall()
    {
        var now = _time.GetUtcNow().UtcTicks;
        Interlocked.CompareExchange(ref _firstCallTicks, now, long.MinValue);
        return TimeSpan.FromTicks(now - Interlocked.Read(ref _firstCallTicks)).TotalSeconds;
    }

    // The phase in force: the last whose start has passed (the validator keeps them in order).
    private SimulationPhase? CurrentPhase()
    {
        if (_options.Phases.Count == 0)
        {
            return null;
        }

        var elapsed = SinceFirstCall();
        SimulationPhase? current = null;
        foreach (var phase in _options.Phases)
        {
            if (elapsed < phase.AfterSeconds)
            {
                break;
            }

            current = phase;
        }

        return current;
    }

    private Draw Draw(int maxTokens)
    {
        var phase = CurrentPhase();
        var latencyMs = phase?.LatencyMs ?? _options.LatencyMs;
        var sigma = phase?.LatencySigma ?? _options.LatencySigma;
        var msPerToken = phase?.MsPerOutputToken ?? _options.MsPerOutputToken;
        var rateLimitRate = phase?.RateLimitRate ?? _options.RateLimitRate;
        var errorRate = phase?.ErrorRate ?? _options.ErrorRate;
        lock (_randomGate)
        {
            var roll = _random.NextDouble();
            var upper = Math.Max(1, Math.Min(_options.MaxCompletionTokens, maxTokens));
            var lower = Math.Min(_options.MinCompletionTokens, upper);
            var tokens = _random.Next(lower, upper + 1);
            // Log-normal around the median: latency has a long right tail, like real providers.
            var normal = Math.Sqrt(-2.0 * Math.Log(1.0 - _random.NextDouble())) * Math.Cos(2.0 * Math.PI * _random.NextDouble());
            var ms = (latencyMs * Math.Exp(sigma * normal)) + (msPerToken * tokens);
            return new Draw(
                TimeSpan.FromMilliseconds(ms),
                RateLimited: roll < rateLimitRate,
                Failed: roll >= rateLimitRate && roll < rateLimitRate + errorRate,
                tokens);
        }
    }

    private JsonElement Response(ProviderRequest request, TokenUsage usage, string requestId)
    {
        var model = request.Body.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : _deployment.ProviderModel;
        return _answers.For(request, model, usage, requestId, _time.GetUtcNow().ToUnixTimeSeconds());
    }
}
