using Dispatcher.Catalog;

namespace Dispatcher.Routing;

/// <summary>Removes deployments whose context window cannot hold the prompt plus max_tokens.</summary>
public sealed class ContextWindowFilter : IDeploymentFilter
{
    /// <inheritdoc />
    public string Name => "context-window";

    /// <inheritdoc />
    public bool Allows(RoutingRequest request, DeploymentOptions deployment) => request.EstimatedTotalTokens <= deployment.ContextWindow;
}
