namespace Dispatcher.Bench.Reliability;

/// <summary>The reliability run's catalog: three simulated deployments with quotas to spare and no errors, auditing every call they receive.</summary>
internal static class ReliabilityCatalog
{
    /// <summary>The model group every job asks for.</summary>
    public const string ModelGroup = "gpt-reliability";

    /// <summary>The simulated deployments.</summary>
    public static readonly IReadOnlyList<string> Deployments = ["rel-a", "rel-b", "rel-c"];

    /// <summary>The catalog section, its deployments logging calls to <paramref name="callLogPath"/>.</summary>
    public static object Create(ReliabilitySettings settings, string callLogPath) => new
    {
        Deployments = Deployments.Select(id => new
        {
            Id = id,
            ModelGroup,
            Provider = "Simulated",
            // Quotas to spare: the faults, not the pacing, are under test.
            Rpm = 1_000_000,
            Tpm = 1_000_000_000,
            MaxParallel = settings.MaxParallel,
            InputPricePerMillion = 0.15,
            OutputPricePerMillion = 0.60,
            TimeoutSeconds = 30,
            Simulation = new
            {
                LatencyMs = settings.LatencyMs, LatencySigma = 0.3, ErrorRate = 0, RateLimitRate = 0,
                MinCompletionTokens = 8, MaxCompletionTokens = 32, CallLogPath = callLogPath,
            },
        }).ToArray(),
        ModelGroups = new[] { new { Name = ModelGroup, Strategy = "round-robin", MaxAttempts = 4, DefaultMaxTokens = 256 } },
    };
}
