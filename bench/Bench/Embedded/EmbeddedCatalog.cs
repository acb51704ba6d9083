using System.Text.Json;

namespace Dispatcher.Bench.Embedded;

/// <summary>
/// The catalog the embedded runs use: two fast simulated deployments of one model group, with
/// quotas so ample that none makes a job wait, so what is measured is the pipeline itself.
/// </summary>
internal static class EmbeddedCatalog
{
    /// <summary>The model group of the generated lines.</summary>
    public const string Group = "gpt-4o-mini";

    /// <summary>Writes the configuration file; <paramref name="latencyMs"/> is each simulated call's median latency.</summary>
    public static void Write(string path, int latencyMs, int maxParallel)
    {
        var deployments = new[] { "fast-a", "fast-b" }.Select(id => new
        {
            Id = id,
            ModelGroup = Group,
            Provider = "Simulated",
            Rpm = 10_000_000,
            Tpm = 1_000_000_000,
            MaxParallel = maxParallel,
            InputPricePerMillion = 0.15,
            OutputPricePerMillion = 0.6,
            ContextWindow = 128_000,
            TimeoutSeconds = 10,
            Simulation = new { LatencyMs = latencyMs, LatencySigma = 0.2, ErrorRate = 0.0, RateLimitRate = 0.0 },
        });
        File.WriteAllText(path, JsonSerializer.Serialize(new
        {
            Catalog = new
            {
                Deployments = deployments,
                ModelGroups = new[] { new { Name = Group, Strategy = "round-robin", MaxAttempts = 4, DefaultMaxTokens = 256 } },
            },
        }));
    }
}
