namespace Dispatcher.Bench.Chaos;

/// <summary>
/// The chaos run's catalog: three simulated deployments with latency, 1 % 5xx and 2 % 429s with
/// Retry-After, quotas that bind (so the provider windows are worth auditing), a spend cap (so
/// reservations are worth auditing), and one deployment hard down for a while.
/// </summary>
internal static class ChaosCatalog
{
    /// <summary>The model group every job asks for.</summary>
    public const string ModelGroup = "gpt-chaos";

    /// <summary>The quota window, compressed so the run crosses many of them.</summary>
    public static readonly TimeSpan QuotaWindow = TimeSpan.FromSeconds(10);

    /// <summary>Requests per quota window of each deployment: 3 × 800 per 10 s caps the batch at 240 jobs/s.</summary>
    public const int Rpm = 800;

    /// <summary>The deployment that goes hard down.</summary>
    public const string OutageDeployment = "chaos-a";

    /// <summary>How long after the run's start the outage begins.</summary>
    public static readonly TimeSpan OutageAfter = TimeSpan.FromSeconds(60);

    /// <summary>How long the outage lasts.</summary>
    public static readonly TimeSpan OutageLength = TimeSpan.FromSeconds(20);

    /// <summary>The simulated deployments.</summary>
    public static readonly IReadOnlyList<string> Deployments = [OutageDeployment, "chaos-b", "chaos-c"];

    /// <summary>The catalog section; the outage starts at <paramref name="outageStartsAt"/> in every worker process alike.</summary>
    public static object Create(ChaosSettings settings, string callLogPath, DateTimeOffset outageStartsAt, int seed) => new
    {
        QuotaWindow,
        Deployments = Deployments.Select((id, i) => new
        {
            Id = id,
            ModelGroup,
            Provider = "Simulated",
            Rpm,
            Tpm = 100_000_000,
            MaxParallel = settings.MaxParallel,
            InputPricePerMillion = 0.15 * (i + 1),
            OutputPricePerMillion = 0.60 * (i + 1),
            TimeoutSeconds = 30,
            Simulation = new
            {
                LatencyMs = settings.LatencyMs, LatencySigma = 0.3, ErrorRate = 0.01, RateLimitRate = 0.02, RetryAfterSeconds = 1,
                MinCompletionTokens = 8, MaxCompletionTokens = 32, CallLogPath = callLogPath, Seed = seed + i,
                OutageStartsAt = id == OutageDeployment ? outageStartsAt : (DateTimeOffset?)null,
                OutageSeconds = id == OutageDeployment ? OutageLength.TotalSeconds : 0,
            },
        }).ToArray(),
        ModelGroups = new[]
        {
            new
            {
                Name = ModelGroup, Strategy = "round-robin", MaxAttempts = 8, DefaultMaxTokens = 256,
                Budget = new { Limit = 1_000.0, Period = "Total" },
                Breaker = new { ConsecutiveFailures = 5, BreakDurationSeconds = 3, HalfOpenProbes = 2 },
            },
        },
    };
}
