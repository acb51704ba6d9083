using Dispatcher.Catalog;

namespace Dispatcher.Routing;

/// <summary>Makes the strategy a model group names (<see cref="StrategyNames"/>).</summary>
public static class RoutingStrategies
{
    /// <summary>A new strategy instance for <paramref name="name"/>.</summary>
    public static IRoutingStrategy Create(string name) => Create(name, System.Random.Shared);

    /// <summary>
    /// A new strategy instance for <paramref name="name"/>; the <c>random</c> and
    /// <c>weighted-adaptive</c> strategies draw from <paramref name="random"/> (pass a seeded one
    /// for repeatable picks), the others ignore it.
    /// </summary>
    public static IRoutingStrategy Create(string name, System.Random random) => Create(name, random, null);

    /// <summary>
    /// A new strategy instance for <paramref name="name"/>; the <c>random</c> and
    /// <c>weighted-adaptive</c> strategies draw from <paramref name="random"/>, and
    /// <c>weighted-adaptive</c> weighs by <paramref name="weights"/> (without them, by the
    /// configured weights alone, as no outcome feeds them).
    /// </summary>
    public static IRoutingStrategy Create(string name, System.Random random, AdaptiveWeights? weights) => name switch
    {
        StrategyNames.UsageBased => new UsageBasedStrategy(),
        StrategyNames.CostBased => new CostBasedStrategy(),
        StrategyNames.RoundRobin => new RoundRobinStrategy(),
        StrategyNames.Weighted => new WeightedStrategy(),
        StrategyNames.LeastBusy => new LeastBusyStrategy(),
        StrategyNames.LatencyBased => new LatencyBasedStrategy(),
        StrategyNames.ConsistentHash => new ConsistentHashStrategy(),
        StrategyNames.PriorityOrder => new PriorityOrderStrategy(),
        StrategyNames.Random => new RandomStrategy(random),
        StrategyNames.WeightedAdaptive => new WeightedAdaptiveStrategy(weights ?? new AdaptiveWeights(TimeProvider.System), random),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown routing strategy."),
    };

    /// <summary>
    /// The hold a model group's strategy keeps deployments with for waiting jobs, or null when
    /// its jobs never wait for a deployment: only a <c>cost-based</c> group with
    /// <see cref="ModelGroupOptions.WaitForCheaper"/> holds the cheaper deployment.
    /// </summary>
    /// <param name="group">The model group.</param>
    /// <param name="deployments">Its deployments, in catalog order.</param>
    /// <param name="window">The quota window their limits count over.</param>
    public static IDeploymentHold? CreateHold(ModelGroupOptions group, IReadOnlyList<DeploymentOptions> deployments, TimeSpan window) =>
        group is { Strategy: StrategyNames.CostBased, WaitForCheaper: true } ? new CheaperDeploymentHold(deployments, window) : null;
}
