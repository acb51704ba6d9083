using System.Text.Json;
using Dispatcher.Consumers;
using Dispatcher.Ledger;
using Microsoft.Data.Sqlite;

namespace Dispatcher.Tests.Ledger;

public sealed class TransientLedgerErrorTests
{
    [Theory]
    [InlineData(5)] // SQLITE_BUSY
    [InlineData(6)] // SQLITE_LOCKED
    [InlineData(10)] // SQLITE_IOERR
    [InlineData(4)] // SQLITE_ABORT: the writer's transaction was rolled back under it
    [InlineData(517)] // SQLITE_BUSY_SNAPSHOT, an extended busy code
    [InlineData(266)] // SQLITE_IOERR_READ
    public void IsMatch_BusyLockedOrIoError_IsTransient(int code) =>
        TransientLedgerError.IsMatch(new SqliteException("SQLite error", code)).ShouldBeTrue();

    [Theory]
    [InlineData(1)] // SQLITE_ERROR: a statement or schema mistake
    [InlineData(19)] // SQLITE_CONSTRAINT
    [InlineData(13)] // SQLITE_FULL
    public void IsMatch_ErrorThatWouldRecur_IsNot(int code) =>
        TransientLedgerError.IsMatch(new SqliteException("SQLite error", code)).ShouldBeFalse();

    [Fact]
    public void IsMatch_NotASqliteError_IsNot()
    {
        TransientLedgerError.IsMatch(new InvalidSubmissionException("field customId: required")).ShouldBeFalse();
        TransientLedgerError.IsMatch(new JsonException("not JSON")).ShouldBeFalse();
    }
}
