using Dispatcher.Catalog;

namespace Dispatcher.Routing;

/// <summary>Removes deployments that cannot take a job now; runs before any strategy.</summary>
public interface IDeploymentFilter
{
    /// <summary>A short name used in decision reasons.</summary>
    string Name { get; }

    /// <summary>Whether <paramref name="deployment"/> may take the job.</summary>
    bool Allows(RoutingRequest request, DeploymentOptions deployment);

    /// <summary>
    /// For a deployment this filter removes only for a while (a closed availability window), how
    /// long until it may take the job, so the job waits rather than fails; null when waiting
    /// would not help.
    /// </summary>
    TimeSpan? OpensIn(RoutingRequest request, DeploymentOptions deployment) => null;

    /// <summary>Why the filter removes <paramref name="deployment"/>, for a decision's reason: its <see cref="Name"/> unless it says more.</summary>
    string Explain(RoutingRequest request, DeploymentOptions deployment) => Name;
}
