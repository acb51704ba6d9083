using Dispatcher.Catalog;
namespace Dispatcher.Routing;

/// <summary>Takes a candidate uniformly at random.</summary>
public sealed class RandomStrategy : IRoutingStrategy
{
    // An injected Random is not thread-safe; the router calls under its own lock, but the
    // strategy does not rely on that.
    private readonly Lock _gate = new();
    private readonly Random _random;

    /// <summary>Draws from <see cref="Random.Shared"/>.</summary>
    public RandomStrategy()
        : this(Random.Shared)
    {
    }

    /// <summary>Draws from <paramref name="random"/>; pass a seeded one for repeatable picks.</summary>
    public RandomStrategy(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        _random = random;
    }

    /// <inheritdoc />
    public string Name => StrategyNames.Random;

    /// <inheritdoc />
    public int Pick(RoutingRequest request, ReadOnlySpan<RoutingCandidate> candidates)
    {
        lock (_gate)
        {
            return _random.Next(candidates.Length);
        }
    }
}
