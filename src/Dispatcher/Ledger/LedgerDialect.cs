using System.Data.Common;

namespace Dispatcher.Ledger;

/// <summary>
/// What the ledger's engines do differently, and nothing else: how a connection is opened, how the
/// writer begins its transactions, the column types of the schema and how the columns a table has
/// are listed. Every statement about jobs, attempts and batches is the same SQL on both engines
/// (<see cref="JobLedger"/>).
/// </summary>
internal abstract class LedgerDialect : IAsyncDisposable
{
    /// <summary>The dialect of the engine <paramref name="options"/> choose.</summary>
    public static LedgerDialect Create(LedgerOptions options) => options.Provider switch
    {
        LedgerProvider.Postgres => PostgresDialect.ForOptions(options),
        _ => SqliteDialect.ForFile(System.IO.Path.GetFullPath(options.Path)),
    };

    /// <summary>Where the ledger is, for messages: a file path, or a server and database without credentials.</summary>
    public abstract string Location { get; }

    /// <summary>The statement that begins the writer's transaction.</summary>
    public abstract string Begin { get; }

    /// <summary>
    /// How long one try of <see cref="Begin"/> may take; the writer tries again while another
    /// process holds a lock (<see cref="TransientLedgerError.IsLockWait"/>), up to its busy timeout.
    /// </summary>
    public virtual int BeginTimeoutSeconds => 30;

    /// <summary>The ledger's tables (<see cref="Schema.Create"/>) with this engine's column types.</summary>
    public abstract string Schema { get; }

    /// <summary>A query of the names of the columns the table named <c>@table</c> has.</summary>
    public abstract string ListColumns { get; }

    /// <summary>
    /// The column of <c>batch_requests</c> that orders rows as they were inserted, after their
    /// time: requests made within one tick apply in the order they were made.
    /// </summary>
    public abstract string InsertionOrder { get; }

    /// <summary>
    /// What a sub-query reading a share's epoch ends with so that its row stays as read until the
    /// transaction ends (<c>FOR SHARE</c> on PostgreSQL): a take-over moving the epoch on waits for
    /// the claims made under the old one, and is seen by those made after it. SQLite's writer holds
    /// the whole file, which does the same.
    /// </summary>
    public virtual string KeepRow => "";

    /// <summary>Opens a connection to the ledger.</summary>
    public abstract Task<DbConnection> OpenAsync(CancellationToken ct);

    /// <summary>A column declaration of <see cref="Schema.Create"/>'s types in this engine's types.</summary>
    public abstract string Declaration(string declaration);

    /// <summary>Sets up the writer's own connection once it is open.</summary>
    public virtual Task PrepareWriterAsync(DbConnection connection) => Task.CompletedTask;

    /// <summary>
    /// Serialises creating and migrating the schema with other processes doing the same, inside the
    /// writer's transaction (which BEGIN IMMEDIATE does by itself on SQLite).
    /// </summary>
    public virtual Task LockSchemaAsync(DbConnection connection, CancellationToken ct) => Task.CompletedTask;

    /// <summary>
    /// Whether the engine rolled the writer's whole transaction back under a failed write (a full
    /// disk, an I/O error), so none of its writes is kept; the writer then fails them all.
    /// </summary>
    public virtual bool LostTransaction(DbConnection connection) => false;

    /// <summary>
    /// A condition that <paramref name="column"/> is one of the values of the list parameter
    /// <paramref name="parameter"/>: Dapper spreads a list into <c>IN (…)</c> on SQLite, and hands
    /// it to Npgsql whole, as an array.
    /// </summary>
    public virtual string InList(string column, string parameter) => $"{column} IN {parameter}";

    /// <inheritdoc />
    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
