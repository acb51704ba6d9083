using System.Runtime.CompilerServices;
using System.Collections.Concurrent;
using Dispatcher.Catalog;

namespace Dispatcher.Routing;

/// <summary>Takes the candidates in turn, per model group.</summary>
public sealed class RoundRobinStrategy : IRoutingStrategy
{
    private readonly ConcurrentDictionary<string, StrongBox<long>> _next = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public string Name => RoutingStrategies.RoundRobin;

    /// <inheritdoc />
    public DeploymentOptions Pick(RoutingRequest request, IReadOnlyList<DeploymentOptions> candidates)
    {
        var counter = _next.GetOrAdd(request.ModelGroup, static _ => new StrongBox<long>());
        var turn = Interlocked.Increment(ref counter.Value) - 1;
        return candidates[(int)(turn % candidates.Count)];
    }
}
