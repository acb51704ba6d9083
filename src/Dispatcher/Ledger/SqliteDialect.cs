using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Dispatcher.Ledger;

/// <summary>The ledger in a SQLite file: WAL, one writer taking the file's write lock up front.</summary>
internal sealed class SqliteDialect(string connectionString) : LedgerDialect
{
    /// <summary>The dialect of the file at <paramref name="path"/> (an absolute path), created with its folder when missing.</summary>
    public static SqliteDialect ForFile(string path)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        return new SqliteDialect(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString());
    }

    /// <inheritdoc />
    public override string Location { get; } = new SqliteConnectionStringBuilder(connectionString).DataSource;

    /// <inheritdoc />
    // Takes the write lock at once: a transaction that read first and then wrote could fail on a
    // lock another process took meanwhile, after the writes before it had run.
    public override string Begin => "BEGIN IMMEDIATE";

    /// <inheritdoc />
    // Microsoft.Data.Sqlite waits out a lock by retrying every 150 ms, blocking and blind to any
    // token, for the command's whole timeout: BEGIN gets one-second tries instead, and between
    // them the writer looks at who still waits, for up to the busy timeout in all.
    public override int BeginTimeoutSeconds => 1;

    /// <inheritdoc />
    public override string Schema => Ledger.Schema.Create;

    /// <inheritdoc />
    public override string ListColumns => "SELECT name FROM pragma_table_info(@table)";

    /// <inheritdoc />
    public override string InsertionOrder => "rowid";

    /// <inheritdoc />
    public override async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(ct);
        return connection;
    }

    /// <inheritdoc />
    public override string Declaration(string declaration) => declaration;

    /// <inheritdoc />
    // The writer keeps its pages between transactions (it made every change since), so a page
    // cache that holds the pages jobs in flight touch spares it reading them back from the file
    // for each write: the job id index and the attempts' key are written in random order, and
    // SQLite's default cache (2 MiB) holds a few thousand jobs' pages. 16 MiB, taken only as used:
    // those indexes' pages for a hundred thousand jobs or more, while an embedded run of a file of
    // any length stays within its memory bound (the cache fills up once the ledger outgrows it).
    public override Task PrepareWriterAsync(DbConnection connection) =>
        connection.ExecuteAsync("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16384;");

    /// <inheritdoc />
    public override bool LostTransaction(DbConnection connection) =>
        SQLitePCL.raw.sqlite3_get_autocommit(((SqliteConnection)connection).Handle) != 0;
}
