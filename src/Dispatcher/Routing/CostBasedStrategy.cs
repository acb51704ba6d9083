using Dispatcher.Catalog;
namespace Dispatcher.Routing;

/// <summary>
/// Takes the candidate where the job's estimated cost is lowest. Among equally cheap ones it
/// takes the most headroom (the highest of min(request headroom, token headroom)), so identical
/// deployments share the load instead of draining the first; further ties keep catalog order.
/// </summary>
public sealed class CostBasedStrategy : IRoutingStrategy
{
    /// <inheritdoc />
    public string Name => StrategyNames.CostBased;

    /// <inheritdoc />
    public CandidateFacts Weighs => CandidateFacts.Cost | CandidateFacts.Headroom;

    /// <inheritdoc />
    public int Pick(RoutingRequest request, ReadOnlySpan<RoutingCandidate> candidates)
    {
        var best = 0;
        var bestCost = candidates[0].EstimatedCost;
        var bestHeadroom = Headroom(candidates[0]);
        for (var i = 1; i < candidates.Length; i++)
        {
            var cost = candidates[i].EstimatedCost;
            if (cost > bestCost)
            {
                continue;
            }

            var headroom = Headroom(candidates[i]);
            if (cost < bestCost || headroom > bestHeadroom)
            {
                best = i;
                bestCost = cost;
                bestHeadroom = headroom;
            }
        }

        return best;
    }

    private static double Headroom(in RoutingCandidate candidate) =>
        Math.Min(candidate.RequestHeadroom, candidate.TokenHeadroom);
}
