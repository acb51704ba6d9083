using System.ComponentModel.DataAnnotations;

namespace Dispatcher.Catalog;

/// <summary>
/// How the built-in simulated provider behaves for one deployment. The simulated provider is a
/// real adapter: it is how a pipeline is tried out, load-tested and benchmarked without spending.
/// </summary>
public sealed class SimulationOptions
{
    /// <summary>Median latency of a call in milliseconds, before per-token time.</summary>
    [Range(0, 600_000)]
    public double LatencyMs { get; set; } = 50;

    /// <summary>Spread of the latency: each call draws from a log-normal with this sigma (0 = fixed).</summary>
    [Range(0, 3)]
    public double LatencySigma { get; set; } = 0.3;

    /// <summary>Extra milliseconds for each completion token produced.</summary>
    [Range(0, 10_000)]
    public double MsPerOutputToken { get; set; }

    /// <summary>Share of calls (0..1) that answer 500.</summary>
    [Range(0, 1)]
    public double ErrorRate { get; set; }

    /// <summary>Share of calls (0..1) that answer 429 with Retry-After.</summary>
    [Range(0, 1)]
    public double RateLimitRate { get; set; }

    /// <summary>The Retry-After a simulated 429 carries, in seconds.</summary>
    [Range(0, 3600)]
    public double RetryAfterSeconds { get; set; } = 1;

    /// <summary>Fewest completion tokens a simulated answer has.</summary>
    [Range(1, 1_000_000)]
    public int MinCompletionTokens { get; set; } = 8;

    /// <summary>Most completion tokens a simulated answer has (also capped by the job's max_tokens).</summary>
    [Range(1, 1_000_000)]
    public int MaxCompletionTokens { get; set; } = 64;

    /// <summary>
    /// The simulated provider's own requests-per-window limit, enforced like a real provider:
    /// a call over it is answered 429 with Retry-After. Unset: no limit.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int? EnforceRpm { get; set; }

    /// <summary>The simulated provider's own tokens-per-window limit (prompt plus completion tokens).</summary>
    [Range(1, int.MaxValue)]
    public int? EnforceTpm { get; set; }

    /// <summary>
    /// The simulated provider's own input-tokens-per-window limit (prompt tokens), counted apart
    /// from output as Anthropic counts it; it reports what is left of it as Anthropic's
    /// <c>anthropic-ratelimit-input-tokens-remaining</c> does. Unset: no limit.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int? EnforceInputTpm { get; set; }

    /// <summary>The simulated provider's own output-tokens-per-window limit (completion tokens). Unset: no limit.</summary>
    [Range(1, int.MaxValue)]
    public int? EnforceOutputTpm { get; set; }

    /// <summary>
    /// Most calls the simulated provider serves at once in one worker process, as a self-hosted
    /// server bound by its slots: a call beyond it is answered 429 with <see cref="RetryAfterSeconds"/>.
    /// Unset: no limit.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int? EnforceConcurrency { get; set; }

    /// <summary>The window the enforced limits apply to, in seconds.</summary>
    [Range(0.01, 86_400)]
    public double EnforceWindowSeconds { get; set; } = 60;

    /// <summary>
    /// Seconds after the deployment's first call at which the simulated deployment goes hard down: every
    /// call then fails with 503 until <see cref="OutageSeconds"/> have passed. Unset: no outage.
    /// For rehearsing failover, breakers and recovery.
    /// </summary>
    [Range(0.0, 86_400)]
    public double? OutageAfterSeconds { get; set; }

    /// <summary>
    /// The instant at which the simulated deployment goes hard down, for <see cref="OutageSeconds"/>:
    /// unlike <see cref="OutageAfterSeconds"/>, timed by the clock rather than by each process's
    /// first call, so every worker process serving the deployment, and one started in its place
    /// after a crash, is down over the same window. Unset: no such outage.
    /// </summary>
    public DateTimeOffset? OutageStartsAt { get; set; }

    /// <summary>How long the outage lasts, in seconds.</summary>
    [Range(0.0, 86_400)]
    public double OutageSeconds { get; set; }

    /// <summary>
    /// A schedule of behaviour changes, in order of <see cref="SimulationPhase.AfterSeconds"/>
    /// (timed from the deployment's first call in each worker process, as
    /// <see cref="OutageAfterSeconds"/> is): each phase's values replace this deployment's own
    /// latency, per-token time, 500 and 429 rates until the next phase begins. Empty: the same
    /// behaviour throughout.
    /// </summary>
    public List<SimulationPhase> Phases { get; set; } = [];

    /// <summary>
    /// An audit of the calls this simulated deployment received: when set, every call appends one
    /// JSON line (time received, deployment, job id, attempt, process id) to this file before it
    /// is answered, so a call cut short by a crash is counted too. Several worker processes may
    /// share one file. Unset: no log.
    /// </summary>
    public string? CallLogPath { get; set; }

    /// <summary>
    /// The simulated model's real context window, in tokens: a call whose prompt estimate plus
    /// <c>max_tokens</c> exceeds it is refused with 400 "context length exceeded", whatever the
    /// catalog's <c>ContextWindow</c> says. Unset: no limit. For rehearsing context-window fallbacks.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int? ContextLimit { get; set; }

    /// <summary>
    /// The length of the embedding vectors the simulated provider answers <c>/v1/embeddings</c>
    /// with, unless the request asks for its own <c>dimensions</c>. Each vector is a unit vector
    /// drawn from a hash of its input, so the same input always gets the same vector.
    /// </summary>
    [Range(1, 16_384)]
    public int EmbeddingDimensions { get; set; } = 256;

    /// <summary>Seed for repeatable runs; unset draws a new sequence every start.</summary>
    public int? Seed { get; set; }
}
