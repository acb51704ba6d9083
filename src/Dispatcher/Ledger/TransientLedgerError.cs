using Microsoft.Data.Sqlite;
using Npgsql;

namespace Dispatcher.Ledger;

/// <summary>
/// Recognises a ledger failure that the same write a moment later may not meet. On SQLite: the
/// file busy or locked by another process past the busy timeout, an I/O error, or a transaction
/// SQLite rolled back under the writer for one of those (none of its writes was kept, see
/// <see cref="LedgerWriter"/>). On PostgreSQL: what Npgsql reports as transient, among them a
/// lost or refused connection, a timeout, a serialization failure or a deadlock (SQLSTATE class
/// 40), and a server short of resources, shutting down or starting up. A constraint or schema error is not one:
/// it would fail every time.
/// </summary>
internal static class TransientLedgerError
{
    private const int Abort = 4;
    private const int Busy = 5;
    private const int Locked = 6;
    private const int IoError = 10;

    /// <summary>Whether <paramref name="exception"/> is such a failure.</summary>
    public static bool IsMatch(Exception exception) => exception switch
    {
        // The low byte is the primary result code, whichever extended code SQLite gave.
        SqliteException sqlite => (sqlite.SqliteErrorCode & 0xFF) is Abort or Busy or Locked or IoError,
        LostLedgerTransactionException => true,
        // An administrator's or the server's shutdown ends the connection: the next one may find it up.
        PostgresException postgres => postgres.IsTransient || postgres.SqlState is "40001" or "40P01" or "57P01" or "57P02" or "57P03",
        NpgsqlException npgsql => npgsql.IsTransient,
        _ => false,
    };

    /// <summary>
    /// Whether <paramref name="exception"/> says another connection holds the lock the statement
    /// needs. Only SQLite's writer waits for a lock to begin; PostgreSQL waits by itself.
    /// </summary>
    public static bool IsLockWait(Exception exception) =>
        exception is SqliteException sqlite && (sqlite.SqliteErrorCode & 0xFF) is Busy or Locked;
}
