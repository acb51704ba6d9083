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

    /// <summary>Regions the tenant's jobs may run in; empty allows every region.</summary>
    public List<string> Regions { get; set; } = [];
}
