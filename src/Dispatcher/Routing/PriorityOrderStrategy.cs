using Dispatcher.Catalog;
namespace Dispatcher.Routing;

/// <summary>Takes the candidate with the lowest <c>Priority</c> number; ties keep catalog order.</summary>
public sealed class PriorityOrderStrategy : IRoutingStrategy
{
    /// <inheritdoc />
    public string Name => StrategyNames.PriorityOrder;

    /// <inheritdoc />
    public int Pick(RoutingRequest request, ReadOnlySpan<RoutingCandidate> candidates)
    {
        var best = 0;
        for (var i = 1; i < candidates.Length; i++)
        {
            if (candidates[i].Deployment.Priority < candidates[best].Deployment.Priority)
            {
                best = i;
            }
        }

        return best;
    }
}
