using System.ComponentModel.DataAnnotations;

namespace Dispatcher.Ledger;

/// <summary>Where the ledger lives, bound from the <c>Ledger</c> configuration section.</summary>
public sealed class LedgerOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Ledger";

    /// <summary>Path of the SQLite file; created with its folder when missing.</summary>
    [Required]
    public string Path { get; set; } = "data/ledger.db";
}
