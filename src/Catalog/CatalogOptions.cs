namespace Dispatcher.Catalog;

/// <summary>
/// The deployment catalog, bound from the <c>Catalog</c> configuration section:
/// deployments in the spirit of LiteLLM's <c>model_list</c>, and per model group settings.
/// </summary>
public sealed class CatalogOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Catalog";

    /// <summary>Every deployment jobs can be routed to.</summary>
    public List<DeploymentOptions> Deployments { get; set; } = [];

    /// <summary>Settings per model group; a group with deployments but no entry gets the defaults.</summary>
    public List<ModelGroupOptions> ModelGroups { get; set; } = [];

    /// <summary>Per-tenant rules: spend caps and allowed regions.</summary>
    public List<TenantOptions> Tenants { get; set; } = [];

    /// <summary>Length of the quota window; 60 s in production, shorter to compress time in tests.</summary>
    public TimeSpan QuotaWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The time a request may take to reach a provider, as a share of <see cref="QuotaWindow"/>
    /// (0.005 = 0.5%, 300 ms of a minute). The quota windows count a call for as long as it is in
    /// flight and then for one window from when the provider received it. A provider that says
    /// how long it spent on the call (<c>openai-processing-ms</c>; the simulated provider) tells
    /// exactly when that was, and the padding plays no part. For one that does not, the call is
    /// taken to have reached the provider this long after the worker started it (never after
    /// the answer), and an attempt sent before a restart this long after it was sent.
    /// </summary>
    public double QuotaWindowPadding { get; set; } = 0.005;

    /// <summary>
    /// Why no deployment of <paramref name="modelGroup"/> can serve a job for the endpoint
    /// <paramref name="url"/>, naming what its deployments serve; null when one can, or when the
    /// group has no deployment at all (which routing reports as such). The Submitter's check of a
    /// batch file and the dispatcher's intake both ask this, so a line is judged alike in both.
    /// </summary>
    public string? UnservedEndpoint(string modelGroup, string url)
    {
        SortedSet<string>? served = null;
        foreach (var deployment in Deployments)
        {
            if (!string.Equals(deployment.ModelGroup, modelGroup, StringComparison.Ordinal))
            {
                continue;
            }

            if (deployment.Serves(url))
            {
                return null;
            }

            (served ??= new SortedSet<string>(StringComparer.Ordinal)).UnionWith(deployment.ServedEndpoints);
        }

        return served is null
            ? null
            : $"no deployment of model group '{modelGroup}' serves {url}; its deployments serve {string.Join(", ", served)}";
    }

    /// <summary>The settings of a model group, or the defaults when it has no entry.</summary>
    public ModelGroupOptions Group(string name) =>
        ModelGroups.FirstOrDefault(g => string.Equals(g.Name, name, StringComparison.Ordinal))
        ?? new ModelGroupOptions { Name = name };
}
