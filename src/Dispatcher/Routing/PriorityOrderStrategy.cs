using Dispatcher.Catalog;

namespace Dispatcher.Routing;

/// <summary>Takes the candidate with the lowest <see cref="DeploymentOptions.Priority"/>; ties keep catalog order.</summary>
public sealed class PriorityOrderStrategy : IRoutingStrategy
{
    /// <inheritdoc />
    public string Name => RoutingStrategies.PriorityOrder;

    /// <inheritdoc />
    public DeploymentOptions Pick(RoutingRequest request, IReadOnlyList<DeploymentOptions> candidates)
    {
        var best = candidates[0];
        for (var i = 1; i < candidates.Count; i++)
        {
            if (candidates[i].Priority < best.Priority)
            {
                best = candidates[i];
            }
        }

        return best;
    }
}
