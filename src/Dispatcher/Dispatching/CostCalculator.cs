using Dispatcher.Catalog;
using Dispatcher.Contracts;

namespace Dispatcher.Dispatching;

/// <summary>
/// Prices tokens with a deployment's per-million prices: prompt tokens read from the provider's
/// cache at <see cref="DeploymentOptions.CachedInputPricePerMillion"/> (the input price when it is
/// unset), the other prompt tokens at the input price, completion tokens at the output price.
/// </summary>
public static class CostCalculator
{
    /// <summary>The cost of the reported usage.</summary>
    public static decimal Cost(DeploymentOptions deployment, TokenUsage? usage) =>
        usage is null ? 0m : Cost(deployment, usage.PromptTokens, usage.CompletionTokens, usage.CachedPromptTokens);

    /// <summary>
    /// The cost of the given token counts, <paramref name="cachedPromptTokens"/> of the
    /// <paramref name="promptTokens"/> read from the cache (none for an estimate).
    /// </summary>
    public static decimal Cost(DeploymentOptions deployment, long promptTokens, long completionTokens, long cachedPromptTokens = 0)
    {
        var cached = Math.Clamp(cachedPromptTokens, 0, Math.Max(0, promptTokens));
        var cachedPrice = deployment.CachedInputPricePerMillion ?? deployment.InputPricePerMillion;
        return (((promptTokens - cached) * deployment.InputPricePerMillion) + (cached * cachedPrice) + (completionTokens * deployment.OutputPricePerMillion)) / 1_000_000m;
    }
}
