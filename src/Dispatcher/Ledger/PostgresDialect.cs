using System.Data.Common;
using System.Text.RegularExpressions;
using Dapper;
using Npgsql;

namespace Dispatcher.Ledger;

/// <summary>
/// The ledger in a PostgreSQL database, through a pooled <see cref="NpgsqlDataSource"/>. Timestamps
/// stay round-trip text as in the SQLite file, and every text column compares byte by byte
/// (<c>COLLATE "C"</c>), so times, ids and custom ids order as they do in SQLite whatever the
/// database's locale.
/// </summary>
internal sealed partial class PostgresDialect : LedgerDialect
{
    // Any constant will do, as long as it is the ledger's alone: pg_advisory_xact_lock serialises
    // the processes creating or migrating the schema at once, and is let go at commit.
    private const long SchemaLockKey = 0x4C6564676572; // "Ledger"

    // Statements every job runs; Npgsql prepares them on the server once they recur.
    private const int AutoPrepared = 32;

    private const string IdleInTransaction = "idle_in_transaction_session_timeout";
    private const string IdleInTransactionLimit = "15s";

    private readonly NpgsqlDataSource _source;

    private PostgresDialect(NpgsqlDataSource source, string location)
    {
        _source = source;
        Location = location;
        Schema = Declaration(Ledger.Schema.Create)
            // The order requests were recorded in, as SQLite's rowid keeps it.
            + "\nALTER TABLE batch_requests ADD COLUMN IF NOT EXISTS seq BIGINT GENERATED ALWAYS AS IDENTITY;";
    }

    /// <summary>
    /// The dialect of the database <paramref name="options"/> name, the password taken from the
    /// environment variable they name when it is set. Errors name the configuration key and never
    /// hold the connection string, which may carry a password.
    /// </summary>
    public static PostgresDialect ForOptions(LedgerOptions options)
    {
        var builder = Parse(options.ConnectionString);
        if (Environment.GetEnvironmentVariable(options.PasswordVariable) is { Length: > 0 } password)
        {
            builder.Password = password;
        }

        if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = AutoPrepared;
        }

        // A process frozen in the middle of a transaction (a paused VM) would hold its row locks,
        // among them the share locks a take-over of its shares waits on, for as long as it stays
        // frozen; the server ends such a session instead. The writer's transactions never wait
        // between their statements, so no live process comes near the limit.
        if (builder.Options?.Contains(IdleInTransaction, StringComparison.Ordinal) != true)
        {
            builder.Options = $"{builder.Options} -c {IdleInTransaction}={IdleInTransactionLimit}".TrimStart();
        }

        var location = $"PostgreSQL database {builder.Database ?? builder.Username ?? "(default)"} on {builder.Host}:{builder.Port}";
        return new PostgresDialect(NpgsqlDataSource.Create(builder), location);
    }

    /// <summary>
    /// Reads <paramref name="connectionString"/>; throws with the configuration key and the reason,
    /// never the text itself.
    /// </summary>
    public static NpgsqlConnectionStringBuilder Parse(string? connectionString)
    {
        const string Key = $"{LedgerOptions.Section}:{nameof(LedgerOptions.ConnectionString)}";
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException($"{Key}: required when {LedgerOptions.Section}:{nameof(LedgerOptions.Provider)} is {LedgerProvider.Postgres}");
        }

        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            // The exception's message may quote a value, and a value may be the password.
            throw new InvalidOperationException($"{Key}: not a valid PostgreSQL connection string (Npgsql keyword=value pairs separated by ';'); its text is not shown, as it may hold a password");
        }

        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            throw new InvalidOperationException($"{Key}: names no Host");
        }

        return builder;
    }

    /// <inheritdoc />
    public override string Location { get; }

    /// <inheritdoc />
    public override string Begin => "BEGIN";

    /// <inheritdoc />
    public override string Schema { get; }

    /// <inheritdoc />
    public override string ListColumns =>
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = @table";

    /// <inheritdoc />
    public override string InsertionOrder => "seq";

    /// <inheritdoc />
    public override string KeepRow => " FOR SHARE";

    /// <inheritdoc />
    public override async Task<DbConnection> OpenAsync(CancellationToken ct) => await _source.OpenConnectionAsync(ct);

    /// <inheritdoc />
    public override string Declaration(string declaration) =>
        SqliteType().Replace(declaration, m => m.Value switch
        {
            "INTEGER" => "BIGINT",
            "REAL" => "DOUBLE PRECISION",
            _ => "TEXT COLLATE \"C\"",
        });

    /// <inheritdoc />
    public override Task LockSchemaAsync(DbConnection connection, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@key)", new { key = SchemaLockKey }, cancellationToken: ct));

    /// <inheritdoc />
    public override bool LostTransaction(DbConnection connection) => connection.State != System.Data.ConnectionState.Open;

    /// <inheritdoc />
    public override string InList(string column, string parameter) => $"{column} = ANY({parameter})";

    /// <inheritdoc />
    public override ValueTask DisposeAsync() => _source.DisposeAsync();

    [GeneratedRegex(@"\b(INTEGER|REAL|TEXT)\b", RegexOptions.CultureInvariant)]
    private static partial Regex SqliteType();
}
