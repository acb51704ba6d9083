using Dispatcher.Catalog;
namespace Dispatcher.Routing;

/// <summary>Takes the candidates in turn.</summary>
public sealed class RoundRobinStrategy : IRoutingStrategy
{
    private long _next;

    /// <inheritdoc />
    public string Name => StrategyNames.RoundRobin;

    /// <inheritdoc />
    public int Pick(RoutingRequest request, ReadOnlySpan<RoutingCandidate> candidates) =>
        (int)((ulong)(Interlocked.Increment(ref _next) - 1) % (ulong)candidates.Length);
}
