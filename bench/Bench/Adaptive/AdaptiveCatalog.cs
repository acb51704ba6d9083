using System.Globalization;
using System.Text.Json;
using Dispatcher.Catalog;

namespace Dispatcher.Bench.Adaptive;

/// <summary>
/// The catalog of the adaptive-weights benchmark: one <c>weighted-adaptive</c> model group of two
/// simulated deployments, equal in weight and behaviour, with quota to spare so only the weights
/// decide; <see cref="Degrading"/> turns five times slower and fails a fifth of its calls half-way
/// through the run and recovers three quarters through (<c>Simulation:Phases</c>). Both log every
/// call they receive.
/// </summary>
internal static class AdaptiveCatalog
{
    /// <summary>The model group every job asks for.</summary>
    public const string ModelGroup = "gpt-adaptive";

    /// <summary>The deployment that stays healthy.</summary>
    public const string Steady = "steady";

    /// <summary>The deployment that degrades and recovers.</summary>
    public const string Degrading = "degrading";

    /// <summary>Both deployments, in catalog order.</summary>
    public static readonly IReadOnlyList<string> Deployments = [Steady, Degrading];

    /// <summary>Writes the configuration file (a <c>Catalog</c> section).</summary>
    public static void Write(string path, AdaptiveSettings settings, string callLog)
    {
        var catalog = new
        {
            Deployments = new[]
            {
                Deployment(Steady, Simulation(settings, callLog, seed: 21, phases: [])),
                Deployment(Degrading, Simulation(settings, callLog, seed: 22, phases:
                [
                    new { AfterSeconds = settings.DegradeAt.TotalSeconds, LatencyMs = settings.LatencyMs * AdaptiveSettings.LatencyFactor, ErrorRate = AdaptiveSettings.DegradedErrorRate },
                    new { AfterSeconds = settings.RecoverAt.TotalSeconds },
                ])),
            },
            ModelGroups = new[]
            {
                new
                {
                    Name = ModelGroup,
                    Strategy = StrategyNames.WeightedAdaptive,
                    AdaptiveWindow = settings.Window.ToString("c", CultureInfo.InvariantCulture),
                    MaxAttempts = 6,
                    Retry = new { BaseDelaySeconds = 0.2, MaxDelaySeconds = 1.0 },
                    // The weights, not the breaker, are under test: a fifth of calls failing never opens it.
                    Breaker = new { FailureRatio = 0.9, ConsecutiveFailures = 50 },
                },
            },
        };
        File.WriteAllText(path, JsonSerializer.Serialize(new { Catalog = catalog }));
    }

    private static object Deployment(string id, object simulation) => new
    {
        Id = id,
        ModelGroup,
        Provider = "Simulated",
        Weight = 1,
        MaxParallel = 64,
        Rpm = 1_000_000,
        Tpm = 1_000_000_000,
        BurstFraction = 1.0,
        TimeoutSeconds = 30,
        Simulation = simulation,
    };

    private static object Simulation(AdaptiveSettings settings, string callLog, int seed, object[] phases) => new
    {
        settings.LatencyMs,
        LatencySigma = 0.3,
        MsPerOutputToken = 0,
        ErrorRate = 0,
        RateLimitRate = 0,
        MinCompletionTokens = 8,
        MaxCompletionTokens = 64,
        Seed = seed,
        CallLogPath = callLog,
        Phases = phases,
    };
}
