using Dispatcher.Catalog;

namespace Dispatcher.Routing;

/// <summary>
/// Draws a candidate at random in proportion to its adaptive weight (<see cref="AdaptiveWeights"/>):
/// its configured <c>Weight</c> scaled by its recent success rate and speed against the
/// healthiest deployment of its group. Random rather than interleaved, as the weights move with
/// every outcome; deterministic with a seeded <see cref="Random"/>.
/// </summary>
public sealed class WeightedAdaptiveStrategy : IRoutingStrategy
{
    // An injected Random is not thread-safe, nor is the scratch array; the router calls under its
    // own lock, but the strategy does not rely on that.
    private readonly Lock _gate = new();
    private readonly AdaptiveWeights _weights;
    private readonly Random _random;
    private AdaptiveWeight[] _scratch = new AdaptiveWeight[8];

    /// <summary>Draws from <paramref name="random"/> by the weights <paramref name="weights"/> keeps.</summary>
    public WeightedAdaptiveStrategy(AdaptiveWeights weights, Random random)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(random);
        _weights = weights;
        _random = random;
    }

    /// <inheritdoc />
    public string Name => StrategyNames.WeightedAdaptive;

    /// <summary>The weight of the last pick, for the decision's reason; null before the first.</summary>
    public AdaptiveWeight? LastPick { get; private set; }

    /// <inheritdoc />
    public int Pick(RoutingRequest request, ReadOnlySpan<RoutingCandidate> candidates)
    {
        lock (_gate)
        {
            if (_scratch.Length < candidates.Length)
            {
                _scratch = new AdaptiveWeight[candidates.Length];
            }

            var weights = _scratch.AsSpan(0, candidates.Length);
            _weights.Weigh(candidates, weights);
            var total = 0.0;
            foreach (var w in weights)
            {
                total += w.Weight;
            }

            var pick = total > 0 ? Draw(weights, _random.NextDouble() * total) : _random.Next(candidates.Length);
            LastPick = weights[pick];
            return pick;
        }
    }

    // The first candidate whose running sum of weights passes the draw; a weight of 0 is never
    // drawn, and rounding at the end falls to the last candidate with a weight.
    private static int Draw(ReadOnlySpan<AdaptiveWeight> weights, double draw)
    {
        var last = 0;
        for (var i = 0; i < weights.Length; i++)
        {
            if (weights[i].Weight <= 0)
            {
                continue;
            }

            last = i;
            draw -= weights[i].Weight;
            if (draw < 0)
            {
                return i;
            }
        }

        return last;
    }
}
