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

    /// <summary>Writes the configuration file (a <c>Catalog</c> section) for one run of the English batch.</summary>
    public static void Write(string path, string strategy, TimeSpan window, double padding, bool providersEnforce, double latencyMs) =>
        Write(path, new CatalogShape(ModelGroup, Deployments), strategy, window, padding, providersEnforce, latencyMs);

    /// <summary>Writes the configuration file (a <c>Catalog</c> section) for one run of a catalog of <paramref name="shape"/>.</summary>
    public static void Write(string path, CatalogShape shape, string strategy, TimeSpan window, double padding, bool providersEnforce, double latencyMs)
    {
        if (!StrategyNames.IsKnown(strategy))
        {
            throw new ArgumentException($"'{strategy}' is not a routing strategy; known: {string.Join(", ", StrategyNames.Names)}", nameof(strategy));
        }

        var catalog = new
        {
            QuotaWindow = window.ToString("c", CultureInfo.InvariantCulture),
            QuotaWindowPadding = padding,
            Deployments = shape.Deployments.Select((d, i) => Deployment(shape, d, Simulation(shape, d, seed: 11 + i, window, providersEnforce, latencyMs))).ToArray(),
            ModelGroups = new[] { new { Name = shape.ModelGroup, Strategy = strategy, MaxAttempts = 4, shape.DefaultMaxTokens } },
        };
        File.WriteAllText(path, JsonSerializer.Serialize(new { Catalog = catalog }));
    }

    private static Dictionary<string, object> Deployment(CatalogShape shape, DeploymentLimit d, Dictionary<string, object> simulation)
    {
        var deployment = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["Id"] = d.Id, ["ModelGroup"] = shape.ModelGroup, ["Provider"] = "Simulated", ["Rpm"] = d.Rpm, ["MaxParallel"] = 16,
            ["InputPricePerMillion"] = d.InputPricePerMillion, ["OutputPricePerMillion"] = d.OutputPricePerMillion,
            ["ContextWindow"] = 128_000, ["TimeoutSeconds"] = 30, ["Simulation"] = simulation,
        };
        if (d.Tpm > 0)
        {
            deployment["Tpm"] = d.Tpm;
        }

        if (d.IsAnthropic)
        {
            deployment["LimitModel"] = nameof(LimitModel.Anthropic);
            deployment["InputTpm"] = d.InputTpm!.Value;
            deployment["OutputTpm"] = d.OutputTpm!.Value;
        }

        if (shape.Model is { } model)
        {
            deployment["Model"] = model;
        }

        if (shape.Tokenizer is { } tokenizer)
        {
            deployment["Tokenizer"] = tokenizer;
        }

        return deployment;
    }

    // A fixed latency (none by default), no random 5xx or 429; the provider's own limits equal the catalog's.
    private static Dictionary<string, object> Simulation(CatalogShape shape, DeploymentLimit d, int seed, TimeSpan window, bool enforce, double latencyMs)
    {
        var simulation = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["LatencyMs"] = latencyMs, ["LatencySigma"] = 0, ["MsPerOutputToken"] = 0, ["ErrorRate"] = 0, ["RateLimitRate"] = 0,
            ["MinCompletionTokens"] = shape.MinCompletionTokens, ["MaxCompletionTokens"] = shape.MaxCompletionTokens, ["Seed"] = seed,
        };
        if (enforce)
        {
            simulation["EnforceRpm"] = d.Rpm;
            if (d.Tpm > 0)
            {
                simulation["EnforceTpm"] = d.Tpm;
            }

            if (d.InputTpm is { } input)
            {
                simulation["EnforceInputTpm"] = input;
            }

            if (d.OutputTpm is { } output)
            {
                simulation["EnforceOutputTpm"] = output;
            }

            simulation["EnforceWindowSeconds"] = window.TotalSeconds;
        }

        return simulation;
    }
}

/// <summary>What a quota run's catalog holds besides its window and strategy: one model group of simulated deployments.</summary>
/// <param name="ModelGroup">The model group every job asks for.</param>
/// <param name="Deployments">The deployments and their limits per window, cheapest first.</param>
/// <param name="Model">The deployments' <c>Model</c> (which decides their tokenizer when <paramref name="Tokenizer"/> is not set); none when null.</param>
/// <param name="Tokenizer">The deployments' <c>Tokenizer</c>; chosen from the model or group name when null.</param>
/// <param name="MinCompletionTokens">Fewest completion tokens a simulated answer has.</param>
/// <param name="MaxCompletionTokens">Most completion tokens a simulated answer has (also capped by the job's max_tokens).</param>
/// <param name="DefaultMaxTokens">The group's <c>DefaultMaxTokens</c>.</param>
internal sealed record CatalogShape(
    string ModelGroup,
    IReadOnlyList<DeploymentLimit> Deployments,
    string? Model = null,
    string? Tokenizer = null,
    int MinCompletionTokens = 8,
    int MaxCompletionTokens = 64,
    int DefaultMaxTokens = 256);

/// <summary>One deployment's limits per window and its prices.</summary>
/// <param name="Id">The deployment's id.</param>
/// <param name="Rpm">Requests per window.</param>
/// <param name="Tpm">Prompt plus completion tokens per window; 0 for none (an Anthropic deployment without a combined limit).</param>
/// <param name="InputPricePerMillion">Price of a million prompt tokens.</param>
/// <param name="OutputPricePerMillion">Price of a million completion tokens.</param>
/// <param name="InputTpm">Prompt tokens per window, for the Anthropic limit model; null for the others.</param>
/// <param name="OutputTpm">Completion tokens per window, for the Anthropic limit model; null for the others.</param>
internal sealed record DeploymentLimit(
    string Id, int Rpm, int Tpm, decimal InputPricePerMillion, decimal OutputPricePerMillion, int? InputTpm = null, int? OutputTpm = null)
{
    /// <summary>Whether the deployment follows the Anthropic limit model (input and output tokens limited apart).</summary>
    public bool IsAnthropic => InputTpm is not null || OutputTpm is not null;
}
