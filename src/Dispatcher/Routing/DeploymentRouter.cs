using System.Text;
using Dispatcher.Catalog;
using Microsoft.Extensions.Options;

namespace Dispatcher.Routing;

/// <summary>
/// Routing in two stages: the filters remove deployments that cannot take the job now,
/// then the model group's strategy picks among the rest.
/// </summary>
public sealed class DeploymentRouter
{
    private readonly Dictionary<string, DeploymentOptions[]> _byGroup;
    private readonly Dictionary<string, IRoutingStrategy> _strategies;
    private readonly IReadOnlyList<IDeploymentFilter> _filters;

    /// <summary>Builds the router from the catalog and the registered filters.</summary>
    public DeploymentRouter(IOptions<CatalogOptions> catalog, IEnumerable<IDeploymentFilter> filters)
    {
        var options = catalog.Value;
        _byGroup = options.Deployments
            .GroupBy(d => d.ModelGroup, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
        _strategies = _byGroup.Keys.ToDictionary(
            g => g,
            g => RoutingStrategies.Create(options.Group(g).Strategy),
            StringComparer.Ordinal);
        _filters = filters.ToArray();
    }

    /// <summary>The deployments of a model group, in catalog order; empty for an unknown group.</summary>
    public IReadOnlyList<DeploymentOptions> DeploymentsOf(string modelGroup) =>
        _byGroup.TryGetValue(modelGroup, out var group) ? group : [];

    /// <summary>Whether any deployment serves <paramref name="modelGroup"/>.</summary>
    public bool Serves(string modelGroup) => _byGroup.ContainsKey(modelGroup);

    /// <summary>Chooses a deployment for the job, or says why none can take it.</summary>
    public RoutingDecision Route(RoutingRequest request)
    {
        if (!_byGroup.TryGetValue(request.ModelGroup, out var group))
        {
            return new RoutingDecision(null, "none", $"no deployment serves model group '{request.ModelGroup}'");
        }

        var candidates = new List<DeploymentOptions>(group.Length);
        StringBuilder? removed = null;
        foreach (var deployment in group)
        {
            var blocking = FirstBlockingFilter(request, deployment);
            if (blocking is null)
            {
                candidates.Add(deployment);
            }
            else
            {
                removed ??= new StringBuilder();
                removed.Append(removed.Length == 0 ? "" : ", ").Append(deployment.Id).Append(" (").Append(blocking.Name).Append(')');
            }
        }

        var strategy = _strategies[request.ModelGroup];
        if (candidates.Count == 0)
        {
            return new RoutingDecision(null, strategy.Name, $"every deployment of '{request.ModelGroup}' was filtered out: {removed}");
        }

        var scored = candidates.Select(d => new RoutingCandidate(d, 1, 1, 0, null, 0m)).ToArray();
        var chosen = scored[strategy.Pick(request, scored)].Deployment;
        var reason = $"{strategy.Name} chose {chosen.Id} of {candidates.Count} candidate(s)"
            + (removed is null ? "" : $"; filtered out: {removed}");
        return new RoutingDecision(chosen, strategy.Name, reason);
    }

    private IDeploymentFilter? FirstBlockingFilter(RoutingRequest request, DeploymentOptions deployment)
    {
        foreach (var filter in _filters)
        {
            if (!filter.Allows(request, deployment))
            {
                return filter;
            }
        }

        return null;
    }
}
