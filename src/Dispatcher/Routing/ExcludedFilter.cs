using Dispatcher.Catalog;

namespace Dispatcher.Routing;

/// <summary>Removes deployments this job has already failed on.</summary>
public sealed class ExcludedFilter : IDeploymentFilter
{
    /// <inheritdoc />
    public string Name => "already-tried";

    /// <inheritdoc />
    public bool Allows(RoutingRequest request, DeploymentOptions deployment) => !request.Excluded.Contains(deployment.Id);
}
