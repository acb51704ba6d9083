using System.ComponentModel.DataAnnotations;

namespace Dispatcher.Ledger;

/// <summary>Where the ledger lives, bound from the <c>Ledger</c> configuration section.</summary>
public sealed class LedgerOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Ledger";

    /// <summary>The engine the ledger is kept in: <see cref="LedgerProvider.Sqlite"/> (the default) or <see cref="LedgerProvider.Postgres"/>.</summary>
    public LedgerProvider Provider { get; set; } = LedgerProvider.Sqlite;

    /// <summary>
    /// Path of the SQLite file; created with its folder when missing. With PostgreSQL no file is
    /// written there, but what is kept beside the ledger (the Batch API's files, a run's lock) is
    /// still kept in its folder.
    /// </summary>
    [Required]
    public string Path { get; set; } = "data/ledger.db";

    /// <summary>
    /// The PostgreSQL connection string (Npgsql keywords: <c>Host=…;Port=…;Database=…;Username=…</c>),
    /// required with <see cref="LedgerProvider.Postgres"/>. Leave the password out: it is read from
    /// <see cref="PasswordVariable"/>.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// The environment variable holding the PostgreSQL password; when it is set, it replaces any
    /// password in <see cref="ConnectionString"/>.
    /// </summary>
    [Required]
    public string PasswordVariable { get; set; } = "LEDGER_PASSWORD";
}
