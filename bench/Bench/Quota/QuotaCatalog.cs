using System.Globalization;
using System.Text.Json;
using Dispatcher.Catalog;

namespace Dispatcher.Bench.Quota;

/// <summary>
/// The catalog of the quota benchmark: one model group of three simulated deployments with
/// different limits and prices, each simulated provider enforcing exactly the catalog's limits
/// over the catalog's window (answering 429 when exceeded), with no latency and no random errors.
/// </summary>
/// <remarks>
/// The limits are chosen so that every deployment runs out of tokens before it runs out of
/// requests at the bench's job mix (about 60 tokens per job, while each Tpm/Rpm is 50-54): the
/// lower bound of <see cref="QuotaBounds"/> sums each dimension over all deployments, and is
/// attainable only when the same dimension binds everywhere.
/// </remarks>
internal static class QuotaCatalog
{
    /// <summary>The model group every job of the benchmark asks for.</summary>
    public const string ModelGroup = "gpt-quota";

    /// <summary>The deployments, cheapest first; Rpm and Tpm are per window.</summary>
    public static readonly IReadOnlyList<DeploymentLimit> Deployments =
    [
        new("quota-cheap", Rpm: 120, Tpm: 6_000, InputPricePerMillion: 0.10m, OutputPricePerMillion: 0.40m),
        new("quota-mid", Rpm: 190, Tpm: 10_000, InputPricePerMillion: 0.15m, OutputPricePerMillion: 0.60m),
        new("quota-dear", Rpm: 260, Tpm: 14_000, InputPricePerMillion: 0.25m, OutputPricePerMillion: 1.00m),
    ];

    /// <summary>Writes the configuration file (a <c>Catalog</c> section) for one run.</summary>
    public static void Write(string path, string strategy, TimeSpan window, double padding, bool providersEnforce, double latencyMs)
    {
        if (!StrategyNames.IsKnown(strategy))
        {
            throw new ArgumentException($"'{strategy}' is not a routing strategy; known: {string.Join(", ", StrategyNames.Names)}", nameof(strategy));
        }

        var catalog = new
        {
            QuotaWindow = window.ToString("c", CultureInfo.InvariantCulture),
            QuotaWindowPadding = padding,
            Deployments = Deployments.Select((d, i) => new
            {
                d.Id,
                ModelGroup,
                Provider = "Simulated",
                d.Rpm,
                d.Tpm,
                MaxParallel = 16,
                InputPricePerMillion = d.InputPricePerMillion,
                OutputPricePerMillion = d.OutputPricePerMillion,
                ContextWindow = 128_000,
                TimeoutSeconds = 30,
                Simulation = Simulation(d, seed: 11 + i, window, providersEnforce, latencyMs),
            }).ToArray(),
            ModelGroups = new[] { new { Name = ModelGroup, Strategy = strategy, MaxAttempts = 4, DefaultMaxTokens = 256 } },
        };
        File.WriteAllText(path, JsonSerializer.Serialize(new { Catalog = catalog }));
    }

    // A fixed latency (none by default), no random 5xx or 429; the provider's own limits equal the catalog's.
    private static Dictionary<string, object> Simulation(DeploymentLimit d, int seed, TimeSpan window, bool enforce, double latencyMs)
    {
        var simulation = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["LatencyMs"] = latencyMs, ["LatencySigma"] = 0, ["MsPerOutputToken"] = 0, ["ErrorRate"] = 0, ["RateLimitRate"] = 0,
            ["MinCompletionTokens"] = 8, ["MaxCompletionTokens"] = 64, ["Seed"] = seed,
        };
        if (enforce)
        {
            simulation["EnforceRpm"] = d.Rpm;
            simulation["EnforceTpm"] = d.Tpm;
            simulation["EnforceWindowSeconds"] = window.TotalSeconds;
        }

        return simulation;
    }
}

/// <summary>One deployment's limits per window and its prices.</summary>
internal sealed record DeploymentLimit(string Id, int Rpm, int Tpm, decimal InputPricePerMillion, decimal OutputPricePerMillion);
