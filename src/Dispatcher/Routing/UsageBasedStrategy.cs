using Dispatcher.Catalog;
namespace Dispatcher.Routing;

/// <summary>
/// Takes the candidate with the most headroom: the highest of min(request headroom, token
/// headroom), because whichever bucket is closer to empty is the one that will throttle next.
/// Ties keep catalog order.
/// </summary>
public sealed class UsageBasedStrategy : IRoutingStrategy
{
    /// <inheritdoc />
    public string Name => StrategyNames.UsageBased;

    /// <inheritdoc />
    public CandidateFacts Weighs => CandidateFacts.Headroom;

    /// <inheritdoc />
    public int Pick(RoutingRequest request, ReadOnlySpan<RoutingCandidate> candidates)
    {
        var best = 0;
        var bestHeadroom = Headroom(candidates[0]);
        for (var i = 1; i < candidates.Length; i++)
        {
            var headroom = Headroom(candidates[i]);
            if (headroom > bestHeadroom)
            {
                best = i;
                bestHeadroom = headroom;
            }
        }

        return best;
    }

    private static double Headroom(in RoutingCandidate candidate) =>
        Math.Min(candidate.RequestHeadroom, candidate.TokenHeadroom);
}
