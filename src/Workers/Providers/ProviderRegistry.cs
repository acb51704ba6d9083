using Dispatcher.Catalog;
using Dispatcher.Workers.Hosting;
using Dispatcher.Workers.Providers.Http;
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
        : this(Served(catalog.Value, workers.Value), factory.Create, factory.Redactor, time)
    {
    }

    /// <summary>
    /// Serves <paramref name="deployments"/> through the adapters <paramref name="create"/> makes,
    /// with the redactor for each deployment's key that <paramref name="redactor"/> makes.
    /// </summary>
    internal ProviderRegistry(
        IEnumerable<DeploymentOptions> deployments,
        Func<DeploymentOptions, IProviderClient> create,
        Func<DeploymentOptions, SecretRedactor> redactor,
        TimeProvider time)
    {
        _served = deployments.ToDictionary(d => d.Id, d => (d, new ProviderCallPipeline(d, Own(create(d)), redactor(d), time)), StringComparer.Ordinal);
    }

    public void Dispose() => _owned.ForEach(d => d.Dispose());

    // The catalog's deployments this process serves: those the Workers section names, or all.
    private static IEnumerable<DeploymentOptions> Served(CatalogOptions catalog, WorkerOptions workers)
    {
        var only = workers.Deployments.ToHashSet(StringComparer.Ordinal);
        var unknown = only.Except(catalog.Deployments.Select(d => d.Id)).ToArray();
        if (unknown.Length > 0)
        {
            throw new OptionsValidationException(
                WorkerOptions.Section,
                typeof(WorkerOptions),
                [$"{WorkerOptions.Section}:Deployments: not in the catalog: {string.Join(", ", unknown)}"]);
        }

        return catalog.Deployments.Where(d => only.Count == 0 || only.Contains(d.Id));
    }

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
