namespace Dispatcher.Ledger;

/// <summary>The database engine the ledger is kept in (<c>Ledger:Provider</c>).</summary>
public enum LedgerProvider
{
    /// <summary>A SQLite file on this machine (<c>Ledger:Path</c>): the default, nothing to run beside the programs.</summary>
    Sqlite,

    /// <summary>A PostgreSQL database (<c>Ledger:ConnectionString</c>), shared by programs on several machines.</summary>
    Postgres,
}
