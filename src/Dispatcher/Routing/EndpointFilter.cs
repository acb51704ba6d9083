using Dispatcher.Catalog;

namespace Dispatcher.Routing;

/// <summary>
/// Removes deployments that do not serve the job's endpoint (their catalog <c>Endpoints</c>): an
/// embeddings job never goes to a chat model, nor a chat job to an embedding model, in the job's
/// group or along its fallbacks.
/// </summary>
public sealed class EndpointFilter : IDeploymentFilter
{
    /// <inheritdoc />
    public string Name => "endpoint";

    /// <inheritdoc />
    public bool Allows(RoutingRequest request, DeploymentOptions deployment) => deployment.Serves(request.Url);
}
