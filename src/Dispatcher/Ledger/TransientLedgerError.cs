using Microsoft.Data.Sqlite;

namespace Dispatcher.Ledger;

/// <summary>
/// Recognises a ledger failure that the same write a moment later may not meet: the file busy
/// or locked by another process past the busy timeout, an I/O error, or a transaction SQLite
/// rolled back under the writer for one of those (none of its writes was kept, see
/// <see cref="LedgerWriter"/>). A constraint or schema error is not one: it would fail every time.
/// </summary>
internal static class TransientLedgerError
{
    private const int Abort = 4;
    private const int Busy = 5;
    private const int Locked = 6;
    private const int IoError = 10;

    /// <summary>Whether <paramref name="exception"/> is such a failure.</summary>
    public static bool IsMatch(Exception exception) =>
        // The low byte is the primary result code, whichever extended code SQLite gave.
        exception is SqliteException sqlite && (sqlite.SqliteErrorCode & 0xFF) is Abort or Busy or Locked or IoError;

    /// <summary>Whether <paramref name="exception"/> says another connection holds the lock the statement needs.</summary>
    public static bool IsLockWait(Exception exception) =>
        exception is SqliteException sqlite && (sqlite.SqliteErrorCode & 0xFF) is Busy or Locked;
}
