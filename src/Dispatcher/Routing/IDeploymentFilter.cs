using Dispatcher.Catalog;

namespace Dispatcher.Routing;

/// <summary>Removes deployments that cannot take a job now; runs before any strategy.</summary>
public interface IDeploymentFilter
{
    /// <summary>A short name used in decision reasons.</summary>
    string Name { get; }

    /// <summary>Whether <paramref name="deployment"/> may take the job.</summary>
    bool Allows(RoutingRequest request, DeploymentOptions deployment);
}
