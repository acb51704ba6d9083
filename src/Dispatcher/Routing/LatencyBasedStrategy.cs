using Dispatcher.Catalog;
namespace Dispatcher.Routing;

/// <summary>
/// Takes the candidate with the lowest recent latency per output token. A candidate with no
/// sample yet goes first (the first such in catalog order): without it a deployment that was
/// never tried would never be measured, and one slow early sample would lock the choice in.
/// Ties keep catalog order.
/// </summary>
public sealed class LatencyBasedStrategy : IRoutingStrategy
{
    /// <inheritdoc />
    public string Name => StrategyNames.LatencyBased;

    /// <inheritdoc />
    public CandidateFacts Weighs => CandidateFacts.Latency;

    /// <inheritdoc />
    public int Pick(RoutingRequest request, ReadOnlySpan<RoutingCandidate> candidates)
    {
        // Starting from +infinity rather than the first candidate's value keeps a NaN from
        // winning by default: nothing compares below NaN.
        var best = 0;
        var bestLatency = double.PositiveInfinity;
        for (var i = 0; i < candidates.Length; i++)
        {
            if (candidates[i].LatencyMsPerToken is not { } latency)
            {
                return i;
            }

            if (latency < bestLatency)
            {
                best = i;
                bestLatency = latency;
            }
        }

        return best;
    }
}
