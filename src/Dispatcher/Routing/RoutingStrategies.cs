namespace Dispatcher.Routing;

/// <summary>The strategy names the catalog accepts, and the factory that makes them.</summary>
public static class RoutingStrategies
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

    /// <summary>The same session key to the same deployment (rendezvous hashing).</summary>
    public const string ConsistentHash = "consistent-hash";

    /// <summary>Lowest priority number first.</summary>
    public const string PriorityOrder = "priority";

    /// <summary>Uniformly at random.</summary>
    public const string Random = "random";

    /// <summary>Every accepted name.</summary>
    public static IReadOnlyList<string> Names { get; } =
        [UsageBased, CostBased, RoundRobin, Weighted, LeastBusy, LatencyBased, ConsistentHash, PriorityOrder, Random];

    /// <summary>Whether <paramref name="name"/> is a strategy.</summary>
    public static bool IsKnown(string name) => Names.Contains(name, StringComparer.Ordinal);

    /// <summary>A new strategy instance for <paramref name="name"/>.</summary>
    public static IRoutingStrategy Create(string name) => Create(name, System.Random.Shared);

    /// <summary>
    /// A new strategy instance for <paramref name="name"/>; the <c>random</c> strategy draws from
    /// <paramref name="random"/> (pass a seeded one for repeatable picks), the others ignore it.
    /// </summary>
    public static IRoutingStrategy Create(string name, System.Random random) => name switch
    {
        UsageBased => new UsageBasedStrategy(),
        CostBased => new CostBasedStrategy(),
        RoundRobin => new RoundRobinStrategy(),
        Weighted => new WeightedStrategy(),
        LeastBusy => new LeastBusyStrategy(),
        LatencyBased => new LatencyBasedStrategy(),
        ConsistentHash => new ConsistentHashStrategy(),
        PriorityOrder => new PriorityOrderStrategy(),
        Random => new RandomStrategy(random),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown routing strategy."),
    };
}
