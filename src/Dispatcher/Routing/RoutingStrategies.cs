namespace Dispatcher.Routing;

/// <summary>The strategy names the catalog accepts, and the factory that makes them.</summary>
public static class RoutingStrategies
{
    /// <summary>Candidates in turn.</summary>
    public const string RoundRobin = "round-robin";

    /// <summary>Lowest priority number first.</summary>
    public const string PriorityOrder = "priority";

    /// <summary>Every accepted name.</summary>
    public static IReadOnlyList<string> Names { get; } = [RoundRobin, PriorityOrder];

    /// <summary>Whether <paramref name="name"/> is a strategy.</summary>
    public static bool IsKnown(string name) => Names.Contains(name, StringComparer.Ordinal);

    /// <summary>A new strategy instance for <paramref name="name"/>.</summary>
    public static IRoutingStrategy Create(string name) => name switch
    {
        RoundRobin => new RoundRobinStrategy(),
        PriorityOrder => new PriorityOrderStrategy(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown routing strategy."),
    };
}
