using Dispatcher.Catalog;
using Dispatcher.Workers.Hosting;
using Microsoft.Extensions.Options;

namespace Dispatcher.Workers.Providers;

/// <summary>
/// The deployments this process serves, each with its adapter inside its call pipeline. One
/// pipeline per deployment, shared by all its concurrent calls, so its breaker sees them all.
/// </summary>
internal sealed class ProviderRegistry : IDisposable
{
    private readonly Dictionary<string, (DeploymentOptions Deployment, ProviderCallPipeline Pipeline)> _served;
    private readonly List<IDisposable> _owned = [];

    public ProviderRegistry(IOptions<CatalogOptions> catalog, IOptions<WorkerOptions> workers, ProviderClientFactory factory, TimeProvider time)
    {
        var only = workers.Value.Deployments.ToHashSet(StringComparer.Ordinal);
        var unknown = only.Except(catalog.Value.Deployments.Select(d => d.Id)).ToArray();
        if (unknown.Length > 0)
        {
            throw new OptionsValidationException(
                WorkerOptions.Section,
                typeof(WorkerOptions),
                [$"{WorkerOptions.Section}:Deployments: not in the catalog: {string.Join(", ", unknown)}"]);
        }

        _served = catalog.Value.Deployments
            .Where(d => only.Count == 0 || only.Contains(d.Id))
            .ToDictionary(d => d.Id, d => (d, new ProviderCallPipeline(d, Own(factory.Create(d)), time)), StringComparer.Ordinal);
    }

    public void Dispose() => _owned.ForEach(d => d.Dispose());

    private IProviderClient Own(IProviderClient client)
    {
        if (client is IDisposable disposable)
        {
            _owned.Add(disposable);
        }

        return client;
    }

    /// <summary>The deployments served, in catalog order.</summary>
    public IEnumerable<DeploymentOptions> Deployments => _served.Values.Select(v => v.Deployment);

    /// <summary>The deployment and pipeline for an id.</summary>
    public bool TryGet(string deploymentId, out DeploymentOptions deployment, out ProviderCallPipeline pipeline)
    {
        if (_served.TryGetValue(deploymentId, out var entry))
        {
            (deployment, pipeline) = entry;
            return true;
        }

        deployment = null!;
        pipeline = null!;
        return false;
    }
}
