using Dispatcher.Catalog.Tokens;
using Dispatcher.Tests.Support;

namespace Dispatcher.Bench.Quota.Scenarios;

/// <summary>
/// The batches <c>--quota-scenarios</c> selects besides <c>english</c> (the strategy runs) and
/// <c>fairness</c>. Each has three simulated deployments whose providers enforce the catalog's
/// limits with the deployment's own tokenizer, and limits chosen so that one dimension binds on
/// every deployment at the batch's mix (the lower bound is attainable only then).
/// </summary>
internal static class QuotaScenarios
{
    /// <summary>The English batch of the strategy runs.</summary>
    public const string English = "english";

    /// <summary>Two tenants, a large batch and then a small one.</summary>
    public const string Fairness = "fairness";

    /// <summary>
    /// Chinese, Japanese and Korean prompts on deployments counting with o200k_base (the
    /// <c>Tokenizer</c> key, as for a served model whose name does not say): about 300 tokens a
    /// job against Tpm ÷ Rpm of 160-192, so tokens bind.
    /// </summary>
    public static readonly QuotaScenario Cjk = new(
        "cjk",
        "Chinese, Japanese and Korean prompts, Tokenizer o200k_base",
        new CatalogShape(
            "cjk-quota",
            [
                new("cjk-cheap", Rpm: 150, Tpm: 24_000, InputPricePerMillion: 0.15m, OutputPricePerMillion: 0.60m),
                new("cjk-mid", Rpm: 200, Tpm: 36_000, InputPricePerMillion: 0.40m, OutputPricePerMillion: 1.60m),
                new("cjk-dear", Rpm: 250, Tpm: 48_000, InputPricePerMillion: 2.50m, OutputPricePerMillion: 10.00m),
            ],
            Tokenizer: TokenizerNames.O200kBase,
            MinCompletionTokens: 16,
            MaxCompletionTokens: 160),
        CjkJobs.Body);

    /// <summary>
    /// Jobs with function tools and JSON-schema answers, on deployments whose model name
    /// (gpt-4o-mini) says o200k_base: a few hundred tokens a job, mostly the tools, so tokens bind.
    /// </summary>
    public static readonly QuotaScenario Tools = new(
        "tools",
        "tools and response_format JSON schemas, Model gpt-4o-mini (o200k_base)",
        new CatalogShape(
            "tools-quota",
            [
                new("tools-cheap", Rpm: 150, Tpm: 24_000, InputPricePerMillion: 0.15m, OutputPricePerMillion: 0.60m),
                new("tools-mid", Rpm: 200, Tpm: 36_000, InputPricePerMillion: 0.40m, OutputPricePerMillion: 1.60m),
                new("tools-dear", Rpm: 250, Tpm: 48_000, InputPricePerMillion: 2.50m, OutputPricePerMillion: 10.00m),
            ],
            Model: "gpt-4o-mini",
            MinCompletionTokens: 16,
            MaxCompletionTokens: 160),
        ToolJobs.Body);

    /// <summary>
    /// Long answers on Anthropic-model deployments: generous input limits, tight output limits,
    /// <c>max_tokens</c> 512-1,024 and 100-500 completion tokens a job, so output binds.
    /// </summary>
    public static readonly QuotaScenario Anthropic = new(
        "anthropic",
        "long answers, LimitModel Anthropic, output the binding limit",
        new CatalogShape(
            "claude-quota",
            [
                new("claude-cheap", Rpm: 400, Tpm: 0, InputPricePerMillion: 0.80m, OutputPricePerMillion: 4.00m, InputTpm: 200_000, OutputTpm: 30_000),
                new("claude-mid", Rpm: 500, Tpm: 0, InputPricePerMillion: 3.00m, OutputPricePerMillion: 15.00m, InputTpm: 250_000, OutputTpm: 45_000),
                new("claude-dear", Rpm: 600, Tpm: 0, InputPricePerMillion: 15.00m, OutputPricePerMillion: 75.00m, InputTpm: 300_000, OutputTpm: 60_000),
            ],
            MinCompletionTokens: 100,
            MaxCompletionTokens: 500,
            DefaultMaxTokens: 1024),
        LongAnswerJobs.Body);

    /// <summary>Every name <c>--quota-scenarios</c> knows, in the order they run.</summary>
    public static readonly IReadOnlyList<string> Names = [English, Cjk.Name, Tools.Name, Anthropic.Name, Fairness];

    /// <summary>The single-batch scenario named <paramref name="name"/>; null for english, fairness or an unknown name.</summary>
    public static QuotaScenario? Find(string name) => new[] { Cjk, Tools, Anthropic }.FirstOrDefault(s => s.Name == name);
}
