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
    /// How much longer than <see cref="QuotaWindow"/> the dispatcher's own window is (a share,
    /// 0.005 = 0.5%, 300 ms of a minute). The windows already count a call for as long as it is in
    /// flight and then from when the provider received it: from as long before the answer as the
    /// provider says it spent on the call (<c>openai-processing-ms</c>, the simulated provider),
    /// which is exact, or else from when the worker started it. This covers only what that cannot
    /// see: for a provider that does not say, the time from the worker starting the call to the
    /// provider receiving it (the request crossing the network, a connection being set up) beyond
    /// the time the outcome takes to come back; for every provider, its clock's granularity.
    /// </summary>
    public double QuotaWindowPadding { get; set; } = 0.005;

    /// <summary>The settings of a model group, or the defaults when it has no entry.</summary>
    public ModelGroupOptions Group(string name) =>
        ModelGroups.FirstOrDefault(g => string.Equals(g.Name, name, StringComparison.Ordinal))
        ?? new ModelGroupOptions { Name = name };
}
