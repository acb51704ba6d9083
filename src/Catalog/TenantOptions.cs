using System.ComponentModel.DataAnnotations;

namespace Dispatcher.Catalog;

/// <summary>Rules for one tenant's jobs.</summary>
public sealed class TenantOptions
{
    /// <summary>The tenant name jobs carry.</summary>
    [Required]
    public string Name { get; set; } = "";

    /// <summary>The tenant's spend cap, if any.</summary>
    public BudgetOptions? Budget { get; set; }

    /// <summary>
    /// The tenant's weight in fair sharing: when capacity is scarce, tenants waiting beside one
    /// another get tokens in proportion to their weights (a tenant of weight 2 twice what one of
    /// weight 1 gets). Tenants the catalog does not name weigh 1.
    /// </summary>
    [Range(0.001, 1_000_000)]
    public double Weight { get; set; } = 1;

    /// <summary>Regions the tenant's jobs may run in; empty allows every region.</summary>
    public List<string> Regions { get; set; } = [];
}
