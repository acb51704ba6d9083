using Dispatcher.Catalog;
using Dispatcher.Contracts;

namespace Dispatcher.Dispatching;

/// <summary>Prices tokens with a deployment's per-million prices.</summary>
public static class CostCalculator
{
    /// <summary>The cost of the reported usage.</summary>
    public static decimal Cost(DeploymentOptions deployment, TokenUsage? usage) =>
        usage is null ? 0m : Cost(deployment, usage.PromptTokens, usage.CompletionTokens);

    /// <summary>The cost of the given token counts.</summary>
    public static decimal Cost(DeploymentOptions deployment, long promptTokens, long completionTokens) =>
        ((promptTokens * deployment.InputPricePerMillion) + (completionTokens * deployment.OutputPricePerMillion)) / 1_000_000m;
}
