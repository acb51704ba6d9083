using System.ComponentModel.DataAnnotations;
using Dispatcher.Catalog.Availability;
using Dispatcher.Contracts;

namespace Dispatcher.Catalog;

/// <summary>
/// One deployment: a model behind one endpoint and one key, with its own quotas and prices.
/// Several API keys for one provider are several deployments.
/// </summary>
public sealed class DeploymentOptions
{
    /// <summary>Unique id; also names the deployment's work queue <c>provider.{Id}</c>.</summary>
    [Required, RegularExpression("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    public string Id { get; set; } = "";

    /// <summary>The logical model group jobs ask for (the <c>model</c> of a request body).</summary>
    [Required]
    public string ModelGroup { get; set; } = "";

    /// <summary>Which adapter calls this deployment.</summary>
    public ProviderKind Provider { get; set; } = ProviderKind.Simulated;

    /// <summary>The provider's model name sent in the request; defaults to the model group.</summary>
    public string? Model { get; set; }

    /// <summary>The provider endpoint, e.g. <c>https://api.openai.com/v1</c> or <c>http://127.0.0.1:8000/v1</c>.</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>The name of the environment variable that holds the API key (never the key itself).</summary>
    public string? ApiKeyVariable { get; set; }

    /// <summary>
    /// How the provider counts this deployment's limits (<see cref="Catalog.LimitModel"/>). Unset:
    /// <see cref="Catalog.LimitModel.Anthropic"/> for the Anthropic provider,
    /// <see cref="Catalog.LimitModel.OpenAI"/> for the others.
    /// </summary>
    public LimitModel? LimitModel { get; set; }

    /// <summary>Requests per minute (per window) this deployment allows; unset: its limit model's default (<see cref="RequestsPerMinute"/>).</summary>
    [Range(1, int.MaxValue)]
    public int? Rpm { get; set; }

    /// <summary>Tokens per minute (per window) this deployment allows; unset: its limit model's default (<see cref="TokensPerMinute"/>).</summary>
    [Range(1, int.MaxValue)]
    public int? Tpm { get; set; }

    /// <summary>Input (prompt) tokens per minute: required for, and only for, the Anthropic limit model.</summary>
    [Range(1, int.MaxValue)]
    public int? InputTpm { get; set; }

    /// <summary>Output (completion) tokens per minute: required for, and only for, the Anthropic limit model.</summary>
    [Range(1, int.MaxValue)]
    public int? OutputTpm { get; set; }

    /// <summary>
    /// Most attempts in flight at once on this deployment, across every worker process: required
    /// for the Concurrency limit model, an extra bound on the others. Unset: no such bound.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int? MaxConcurrent { get; set; }

    /// <summary>
    /// Anthropic limit model: whether prompt tokens read from the cache count toward
    /// <see cref="InputTpm"/>. Anthropic counts them for older models only; default false.
    /// The other models always count them, as OpenAI does.
    /// </summary>
    public bool CachedInputCountsTowardLimit { get; set; }

    /// <summary>The limit model this deployment follows: <see cref="LimitModel"/>, or the one its provider implies.</summary>
    public LimitModel EffectiveLimitModel =>
        LimitModel ?? (Provider == ProviderKind.Anthropic ? Catalog.LimitModel.Anthropic : Catalog.LimitModel.OpenAI);

    /// <summary>
    /// The requests per window the deployment's quota keeps; null for none. <see cref="Rpm"/> when
    /// given; else 600 for the OpenAI and Anthropic models, 6 per 1,000 of <see cref="Tpm"/>
    /// (rounded down, at least 1) for Azure, none for Concurrency.
    /// </summary>
    public int? RequestsPerMinute => Rpm ?? EffectiveLimitModel switch
    {
        Catalog.LimitModel.Azure => Tpm is { } tpm ? AzureRequestsPerMinute(tpm) : null,
        Catalog.LimitModel.Concurrency => null,
        _ => DefaultRpm,
    };

    /// <summary>
    /// The combined (input plus output) tokens per window the deployment's quota keeps; null for
    /// none. <see cref="Tpm"/> when given; else 1,000,000 for the OpenAI model, none for the others.
    /// </summary>
    public int? TokensPerMinute => Tpm ?? (EffectiveLimitModel == Catalog.LimitModel.OpenAI ? DefaultTpm : null);

    /// <summary>Whether prompt tokens read from the cache count toward this deployment's token limits.</summary>
    public bool CachedInputCounts => EffectiveLimitModel != Catalog.LimitModel.Anthropic || CachedInputCountsTowardLimit;

    /// <summary>Azure's rule: 6 requests per minute for every 1,000 tokens per minute, rounded down, at least 1.</summary>
    public static int AzureRequestsPerMinute(int tokensPerMinute) => (int)Math.Max(1, (long)tokensPerMinute * 6 / 1000);

    private const int DefaultRpm = 600;
    private const int DefaultTpm = 1_000_000;

    /// <summary>
    /// Share of a window's RPM and TPM that may go out at once (0..1]. Whatever the burst, no
    /// window ever admits more than the limit; a smaller burst spreads calls more evenly.
    /// </summary>
    [Range(0.001, 1)]
    public double BurstFraction { get; set; } = 0.1;

    /// <summary>How many calls a worker runs at once against this deployment.</summary>
    [Range(1, 4096)]
    public int MaxParallel { get; set; } = 8;

    /// <summary>Price per one million prompt tokens.</summary>
    [Range(0, 1_000_000)]
    public decimal InputPricePerMillion { get; set; }

    /// <summary>Price per one million prompt tokens read from the provider's prompt cache; unset: <see cref="InputPricePerMillion"/>.</summary>
    [Range(0, 1_000_000)]
    public decimal? CachedInputPricePerMillion { get; set; }

    /// <summary>Price per one million completion tokens.</summary>
    [Range(0, 1_000_000)]
    public decimal OutputPricePerMillion { get; set; }

    /// <summary>Relative share for the weighted strategy.</summary>
    [Range(0, 1_000_000)]
    public double Weight { get; set; } = 1;

    /// <summary>Order for the priority strategy: lower goes first.</summary>
    public int Priority { get; set; }

    /// <summary>Region, for tenant and region rules.</summary>
    public string? Region { get; set; }

    /// <summary>Free-form tags.</summary>
    public List<string> Tags { get; set; } = [];

    /// <summary>
    /// When routing may send jobs here (<see cref="AvailabilityWindowOptions"/>): outside all its
    /// windows the deployment is filtered out and jobs that only it could take wait for the
    /// first to open. Empty: always available.
    /// </summary>
    public List<AvailabilityWindowOptions> Availability { get; set; } = [];

    /// <summary>
    /// The tokenizer this deployment's prompts are counted with: <c>o200k_base</c>,
    /// <c>cl100k_base</c> or <c>heuristic</c> (about four characters a token). Unset: the one its
    /// <see cref="ProviderModel"/> uses (gpt-4o, gpt-4.1, gpt-5, o-series: o200k_base; gpt-4,
    /// gpt-3.5: cl100k_base), the heuristic for Anthropic and any other model. Set it for an Azure
    /// deployment or a served model whose name does not say which model it is.
    /// </summary>
    public string? Tokenizer { get; set; }

    /// <summary>The model's context window in tokens.</summary>
    [Range(1, int.MaxValue)]
    public int ContextWindow { get; set; } = 128_000;

    /// <summary>How long one call may take before it counts as a timeout (at least 10 ms, Polly's smallest timeout).</summary>
    [Range(0.01, 3600)]
    public double TimeoutSeconds { get; set; } = 60;

    /// <summary>When the worker stops calling this deployment after repeated failures.</summary>
    public CircuitBreakerOptions Breaker { get; set; } = new();

    /// <summary>This deployment's spend cap, if any.</summary>
    public BudgetOptions? Budget { get; set; }

    /// <summary>How the simulated provider behaves; used when <see cref="Provider"/> is Simulated.</summary>
    public SimulationOptions Simulation { get; set; } = new();

    /// <summary>
    /// The endpoints (OpenAI Batch <c>url</c>s) this deployment serves; routing sends it only jobs
    /// for these. Unset or empty: <see cref="DefaultEndpoints"/> of its provider.
    /// </summary>
    /// <remarks>
    /// Null by default rather than a list of the defaults: configuration binding adds to a list
    /// it finds, so a default list would end up holding the defaults and the configured ones.
    /// </remarks>
    public List<string>? Endpoints { get; set; }

    /// <summary>The endpoints this deployment serves: <see cref="Endpoints"/>, or its provider's defaults.</summary>
    public IReadOnlyList<string> ServedEndpoints => Endpoints is { Count: > 0 } declared ? declared : DefaultEndpoints(Provider);

    /// <summary>
    /// What a deployment of <paramref name="provider"/> serves when it declares nothing: every
    /// endpoint for the simulated provider (it answers them all); chat completions alone for
    /// OpenAI and OpenAI-compatible servers (a deployment is one model, and a chat model serves
    /// no embeddings: declare what the model serves) and for Anthropic (its only endpoint).
    /// </summary>
    public static IReadOnlyList<string> DefaultEndpoints(ProviderKind provider) =>
        provider == ProviderKind.Simulated ? Contracts.Endpoints.All : ChatOnly;

    /// <summary>Whether this deployment serves <paramref name="url"/>, an endpoint of <see cref="Contracts.Endpoints"/>.</summary>
    public bool Serves(string url)
    {
        foreach (var served in ServedEndpoints)
        {
            if (string.Equals(served, url, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static readonly IReadOnlyList<string> ChatOnly = [Contracts.Endpoints.ChatCompletions];

    /// <summary>The model name sent to the provider.</summary>
    public string ProviderModel => string.IsNullOrWhiteSpace(Model) ? ModelGroup : Model;
}
