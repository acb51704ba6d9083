using System.Data;
using System.Data.Common;
using System.Threading.Channels;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Dispatcher.Ledger;

/// <summary>
/// The ledger's one writer, with group commit: writes that arrive while a transaction is being
/// committed are gathered into the next one, so the cost of a commit is shared by every
/// concurrent consumer instead of paid by each. A write's task completes only after the
/// transaction holding it has committed, which is what lets a consumer acknowledge its message
/// only once the ledger has the change. A write that fails half-way leaves nothing behind while
/// the others still commit: the writes run one after the other, and when one fails the
/// transaction is rolled back and run again without it, each other write inside a savepoint of
/// its own then (savepoints cost two statements a write, which the common transaction, where
/// nothing fails, does without); when the engine has
/// rolled the whole transaction back by itself (a full disk, an I/O error, a lost connection),
/// every write of it is reported failed, since none of them is in the ledger, and a connection
/// that broke is opened anew for the next transaction. While another process holds the file
/// locked, a write whose caller gives up (its token cancelled, as a consumer's is when the
/// process stops) is let go at once, and closing the writer stops waiting for the lock.
/// </summary>
internal sealed class LedgerWriter : IAsyncDisposable
{
    private const int MaxWritesPerTransaction = 512;

    // Another process's lock is waited out in real time, whatever clock the ledger stamps rows with.
    private static readonly TimeProvider Clock = TimeProvider.System;
    private static readonly Statement Commit = new("COMMIT");
    private static readonly Statement Rollback = new("ROLLBACK");
    private static readonly Statement Savepoint = new("SAVEPOINT write");
    private static readonly Statement UndoWrite = new("ROLLBACK TO write");
    private static readonly Statement ReleaseWrite = new("RELEASE write");

    private readonly Channel<IPendingWrite> _queue = Channel.CreateUnbounded<IPendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _closing = new();
    private readonly LedgerDialect _dialect;
    private readonly TimeSpan _busyTimeout;
    private readonly Task _loop;

    /// <summary>
    /// A writer on a connection <paramref name="dialect"/> opens, which waits up to
    /// <paramref name="busyTimeout"/> (30 s when not given) for a lock another process holds
    /// before its writes fail as busy.
    /// </summary>
    public LedgerWriter(LedgerDialect dialect, TimeSpan? busyTimeout = null)
    {
        _dialect = dialect;
        _busyTimeout = busyTimeout ?? TimeSpan.FromSeconds(30);
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Runs <paramref name="write"/> in the next transaction; completes once that transaction committed.</summary>
    public Task<T> RunAsync<T>(Func<DbConnection, CancellationToken, Task<T>> write, CancellationToken ct)
    {
        var pending = new PendingWrite<T>(write, ct);
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(LedgerWriter), "the ledger is closed");
        }

        return pending.Task;
    }

    /// <summary>
    /// Commits what is queued and closes. The process is stopping: a transaction that cannot
    /// begin because another process holds the file is not waited for, and its writes fail.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (!_closing.IsCancellationRequested)
        {
            await _closing.CancelAsync().ConfigureAwait(false);
        }

        await _loop.ConfigureAwait(false);
    }

    private async Task LoopAsync()
    {
        DbConnection? connection = null;
        DbCommand? begin = null;
        var batch = new List<IPendingWrite>(MaxWritesPerTransaction);
        try
        {
            while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (batch.Count < MaxWritesPerTransaction && _queue.Reader.TryRead(out var write))
                {
                    batch.Add(write);
                }

                try
                {
                    if (connection is null)
                    {
                        connection = await _dialect.OpenAsync(CancellationToken.None).ConfigureAwait(false);
                        await _dialect.PrepareWriterAsync(connection).ConfigureAwait(false);
                        begin = connection.CreateCommand();
                        begin.CommandText = _dialect.Begin;
                        begin.CommandTimeout = _dialect.BeginTimeoutSeconds;
                    }

                    // Plain BEGIN/COMMIT statements: the writes run their own commands on the
                    // connection and need no transaction object.
                    if (!await BeginAsync(begin!, batch).ConfigureAwait(false))
                    {
                        batch.Clear();
                        continue;
                    }

                    if (!await RunWritesAsync(connection, batch, savepoints: false).ConfigureAwait(false))
                    {
                        // A write failed, perhaps half-way, among the others' changes: the
                        // transaction starts again without it, each write in a savepoint.
                        await Rollback.ExecuteAsync(connection, CancellationToken.None).ConfigureAwait(false);
                        if (!await BeginAsync(begin!, batch).ConfigureAwait(false))
                        {
                            batch.Clear();
                            continue;
                        }

                        await RunWritesAsync(connection, batch, savepoints: true).ConfigureAwait(false);
                    }

                    await Commit.ExecuteAsync(connection, CancellationToken.None).ConfigureAwait(false);
                    batch.ForEach(w => w.Complete());
                }
                catch (Exception e)
                {
                    var failure = e;
                    if (connection is not null)
                    {
                        // Only on the connection that is still open: a closed one would be opened
                        // afresh for the statement, outside any transaction.
                        if (connection.State == ConnectionState.Open)
                        {
                            try
                            {
                                await connection.ExecuteAsync("ROLLBACK").ConfigureAwait(false);
                            }
                            catch (Exception rollback) when (rollback is DbException or InvalidOperationException)
                            {
                                // No transaction was open (BEGIN itself failed), or the connection broke.
                            }
                        }

                        if (connection.State != ConnectionState.Open)
                        {
                            // A server connection lost under the transaction: none of its writes was
                            // kept, whatever the statement that met the loss reported, and the next
                            // transaction opens another connection.
                            if (!TransientLedgerError.IsMatch(e))
                            {
                                failure = new LostLedgerTransactionException("the ledger's connection was lost under its transaction; none of its writes were kept", e);
                            }

                            await DisposeAsync(begin, connection).ConfigureAwait(false);
                            (begin, connection) = (null, null);
                        }
                    }

                    batch.ForEach(w => w.Fail(failure));
                }

                batch.Clear();
            }
        }
        finally
        {
            await DisposeAsync(begin, connection).ConfigureAwait(false);
        }
    }

    // Runs the writes that have not failed yet. Without savepoints, stops at the first that fails
    // and returns false: the transaction holds whatever part of it ran. With them, a write that
    // fails is undone alone and the others go on.
    private async Task<bool> RunWritesAsync(DbConnection connection, List<IPendingWrite> batch, bool savepoints)
    {
        foreach (var write in batch)
        {
            if (write.Failed)
            {
                continue;
            }

            if (savepoints)
            {
                await Savepoint.ExecuteAsync(connection, CancellationToken.None).ConfigureAwait(false);
            }

            if (!await write.RunAsync(connection).ConfigureAwait(false))
            {
                if (_dialect.LostTransaction(connection))
                {
                    throw new LostLedgerTransactionException("the ledger's transaction was rolled back under a write; none of its writes were kept");
                }

                if (!savepoints)
                {
                    return false;
                }

                await UndoWrite.ExecuteAsync(connection, CancellationToken.None).ConfigureAwait(false);
            }

            if (savepoints)
            {
                await ReleaseWrite.ExecuteAsync(connection, CancellationToken.None).ConfigureAwait(false);
            }
        }

        return true;
    }

    private static async Task DisposeAsync(DbCommand? begin, DbConnection? connection)
    {
        if (begin is not null)
        {
            await begin.DisposeAsync().ConfigureAwait(false);
        }

        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    // Begins the batch's transaction; false when no write of it is waiting any more. Writes whose
    // callers gave up leave the batch, while the file is locked and before it is tried at all.
    private async Task<bool> BeginAsync(DbCommand begin, List<IPendingWrite> batch)
    {
        var started = Clock.GetTimestamp();
        while (true)
        {
            batch.RemoveAll(w => w.TryGiveUp());
            if (batch.Count == 0)
            {
                return false;
            }

            try
            {
                await begin.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
                return true;
            }
            catch (DbException e) when (TransientLedgerError.IsLockWait(e) && Clock.GetElapsedTime(started) < _busyTimeout)
            {
                if (_closing.IsCancellationRequested)
                {
                    throw new OperationCanceledException("the ledger was closed while another process held its file locked; the write was not made", e);
                }
            }
        }
    }

    private interface IPendingWrite
    {
        /// <summary>Whether the write ran and failed; it is not run again in its transaction.</summary>
        bool Failed { get; }

        /// <summary>Runs the write; false when it failed (and its statements must be undone).</summary>
        Task<bool> RunAsync(DbConnection connection);

        /// <summary>Completes the write as cancelled when its caller gave up; true if so.</summary>
        bool TryGiveUp();

        void Complete();

        void Fail(Exception e);
    }

    private sealed class PendingWrite<T>(Func<DbConnection, CancellationToken, Task<T>> write, CancellationToken ct) : IPendingWrite
    {
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;
        private Exception? _error;

        public Task<T> Task => _done.Task;

        public bool Failed { get; private set; }

        public async Task<bool> RunAsync(DbConnection connection)
        {
            if (ct.IsCancellationRequested)
            {
                _error = new OperationCanceledException(ct);
                return true; // nothing ran
            }

            try
            {
                _result = await write(connection, ct).ConfigureAwait(false);
                return true;
            }
            catch (Exception e) when (e is DbException or OperationCanceledException or InvalidOperationException)
            {
                // This write fails alone; the others in its transaction still commit.
                _error = e;
                Failed = true;
                return false;
            }
        }

        public bool TryGiveUp()
        {
            if (!ct.IsCancellationRequested)
            {
                return false;
            }

            // With the caller's token, so a consumer tells its own cancellation from a failure.
            _done.TrySetCanceled(ct);
            return true;
        }

        public void Complete()
        {
            if (_error is OperationCanceledException)
            {
                _done.TrySetCanceled(ct);
            }
            else if (_error is not null)
            {
                _done.TrySetException(_error);
            }
            else
            {
                _done.TrySetResult(_result!);
            }
        }

        public void Fail(Exception e) => _done.TrySetException(e);
    }
}
