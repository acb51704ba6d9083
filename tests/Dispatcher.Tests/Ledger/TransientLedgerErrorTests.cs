using System.Text.Json;
using Dispatcher.Consumers;
using Dispatcher.Ledger;
using Microsoft.Data.Sqlite;
using Npgsql;

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

    [Theory]
    [InlineData("40001")] // serialization_failure
    [InlineData("40P01")] // deadlock_detected
    [InlineData("57P01")] // admin_shutdown: the server ended the session
    [InlineData("57P03")] // cannot_connect_now: the server is starting
    [InlineData("53300")] // too_many_connections
    public void IsMatch_PostgresSerializationDeadlockOrShutdown_IsTransient(string sqlState) =>
        TransientLedgerError.IsMatch(new PostgresException("PostgreSQL error", "ERROR", "ERROR", sqlState)).ShouldBeTrue();

    [Theory]
    [InlineData("23505")] // unique_violation
    [InlineData("42P01")] // undefined_table
    [InlineData("42601")] // syntax_error
    public void IsMatch_PostgresErrorThatWouldRecur_IsNot(string sqlState) =>
        TransientLedgerError.IsMatch(new PostgresException("PostgreSQL error", "ERROR", "ERROR", sqlState)).ShouldBeFalse();

    [Fact]
    public void IsMatch_PostgresConnectionLost_IsTransient() =>
        TransientLedgerError.IsMatch(new NpgsqlException("Exception while reading from stream", new IOException("connection reset"))).ShouldBeTrue();

    [Fact]
    public void IsLockWait_PostgresError_IsNot() =>
        TransientLedgerError.IsLockWait(new PostgresException("PostgreSQL error", "ERROR", "ERROR", "40001")).ShouldBeFalse();

    [Fact]
    public void IsMatch_NotALedgerError_IsNot()
    {
        TransientLedgerError.IsMatch(new InvalidSubmissionException("field customId: required")).ShouldBeFalse();
        TransientLedgerError.IsMatch(new JsonException("not JSON")).ShouldBeFalse();
    }
}
