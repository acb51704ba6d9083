namespace Dispatcher.Catalog;

/// <summary>The routing strategy names a model group may give (<c>Strategy</c>).</summary>
public static class StrategyNames
{
    /// <summary>Most headroom: the highest of min(request headroom, token headroom).</summary>
    public const string UsageBased = "usage-based";

    /// <summary>Cheapest estimated cost; ties go to the most headroom.</summary>
    public const string CostBased = "cost-based";

    /// <summary>Candidates in turn.</summary>
    public const string RoundRobin = "round-robin";

    /// <summary>Shares by <c>Weight</c> (smooth weighted round robin), for rollouts and A/B splits.</summary>
    public const string Weighted = "weighted";

    /// <summary>Fewest attempts in flight; ties go to the most headroom.</summary>
    public const string LeastBusy = "least-busy";

    /// <summary>Lowest recent latency per output token; unmeasured deployments first.</summary>
    public const string LatencyBased = "latency-based";

    /// <summary>
    /// Weighted at random by <c>Weight</c> times each deployment's recent health (success rate
    /// and output tokens per second), with a floor so none drops to zero.
    /// </summary>
    public const string WeightedAdaptive = "weighted-adaptive";

    /// <summary>The same session key to the same deployment (rendezvous hashing).</summary>
    public const string ConsistentHash = "consistent-hash";

    /// <summary>Lowest priority number first.</summary>
    public const string PriorityOrder = "priority";

    /// <summary>Uniformly at random.</summary>
    public const string Random = "random";

    /// <summary>Every accepted name.</summary>
    public static IReadOnlyList<string> Names { get; } =
        [UsageBased, CostBased, RoundRobin, Weighted, LeastBusy, LatencyBased, ConsistentHash, PriorityOrder, Random, WeightedAdaptive];

    /// <summary>Whether <paramref name="name"/> is a strategy.</summary>
    public static bool IsKnown(string name) => Names.Contains(name, StringComparer.Ordinal);
}
