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
    /// 0.02 = 2%): calls reach the provider a little after they are sent, and this margin keeps
    /// that delay from pushing two windows' worth into one of the provider's.
    /// </summary>
    public double QuotaWindowPadding { get; set; } = 0.02;

    /// <summary>The settings of a model group, or the defaults when it has no entry.</summary>
    public ModelGroupOptions Group(string name) =>
        ModelGroups.FirstOrDefault(g => string.Equals(g.Name, name, StringComparison.Ordinal))
        ?? new ModelGroupOptions { Name = name };
}
