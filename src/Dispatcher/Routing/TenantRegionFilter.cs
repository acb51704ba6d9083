using Dispatcher.Catalog;
using Microsoft.Extensions.Options;

namespace Dispatcher.Routing;

/// <summary>Keeps a tenant's jobs in the regions the catalog allows for that tenant.</summary>
public sealed class TenantRegionFilter(IOptions<CatalogOptions> catalog) : IDeploymentFilter
{
    private readonly Dictionary<string, HashSet<string>> _regions = catalog.Value.Tenants
        .Where(t => t.Regions.Count > 0)
        .ToDictionary(t => t.Name, t => t.Regions.ToHashSet(StringComparer.OrdinalIgnoreCase), StringComparer.Ordinal);

    /// <inheritdoc />
    public string Name => "tenant-region";

    /// <inheritdoc />
    public bool Allows(RoutingRequest request, DeploymentOptions deployment) =>
        request.Tenant is null
        || !_regions.TryGetValue(request.Tenant, out var allowed)
        || (deployment.Region is not null && allowed.Contains(deployment.Region));
}
