using Dispatcher.Catalog;

namespace Dispatcher.Routing;

/// <summary>Picks one deployment among those the filters left.</summary>
public interface IRoutingStrategy
{
    /// <summary>The name used in the catalog's <c>Strategy</c> key.</summary>
    string Name { get; }

    /// <summary>Picks one of <paramref name="candidates"/> (never empty).</summary>
    DeploymentOptions Pick(RoutingRequest request, IReadOnlyList<DeploymentOptions> candidates);
}
