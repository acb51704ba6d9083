using System.Data;
using System.Data.Common;
using System.Threading.Channels;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Dispatcher.Ledger;

/// <summary>
/// The ledger's one writer, with group commit: writes that arrive while a transaction is being
/// committed are gathered into the next one, so the cost of a commit is shared by every
/// concurrent consumer instead of paid by each. On a server (PostgreSQL), where each statement is
/// a round trip, the writes whose statements are known before they run are sent together, with
/// the transaction's BEGIN and COMMIT, in one round trip (<see cref="RunAsync{T}(StatementCall[], Func{object?[], T}, CancellationToken)"/>).
/// A write's task completes only after the
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

    // Writes whose statements go to the server in one round trip, at most.
    private const int BatchedWrites = 64;

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
    /// Runs <paramref name="calls"/>, a write whose statements are known before it runs, in the next
    /// transaction, and completes with <paramref name="result"/> of their results (in order: the rows
    /// each changed, or a query's row) once that transaction committed. On a connection that takes
    /// batches (PostgreSQL) such writes are sent together, in one round trip with the transaction's
    /// BEGIN and COMMIT; otherwise, and whenever a write of the transaction failed, each runs as
    /// <see cref="RunAsync{T}(Func{DbConnection, CancellationToken, Task{T}}, CancellationToken)"/> runs a write.
    /// </summary>
    public Task<T> RunAsync<T>(StatementCall[] calls, Func<object?[], T> result, CancellationToken ct)
    {
        var pending = new PendingWrite<T>(async (c, t) => result(await StatementCall.RunAllAsync(c, calls, t).ConfigureAwait(false)), ct)
        {
            Calls = calls,
            Result = result,
        };
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

                    if (!(connection.CanCreateBatch && await RunBatchedAsync(connection, batch).ConfigureAwait(false)))
                    {
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
                    }

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

    // The transaction with its writes made of statements sent in batches, BEGIN in the first and
    // COMMIT in the last when no other write is in the transaction (those run one by one after the
    // batches, then COMMIT): one round trip for the whole group where each statement would take one.
    // A statement that fails aborts the transaction; it is rolled back and run again without the
    // write that statement belongs to, which fails alone. True once the transaction committed, or
    // when nothing is left to commit; false (nothing committed) when the one-by-one path must run
    // it: it holds no such write, a write run one by one failed, or what failed is no write's.
    private async Task<bool> RunBatchedAsync(DbConnection connection, List<IPendingWrite> batch)
    {
        while (true)
        {
            batch.RemoveAll(w => w.TryGiveUp());
            var batched = batch.FindAll(w => !w.Failed && w.Calls is not null);
            var others = batch.FindAll(w => !w.Failed && w.Calls is null);
            if (batched.Count == 0)
            {
                return others.Count == 0;
            }

            var failed = await RunBatchesAsync(connection, batched, commit: others.Count == 0).ConfigureAwait(false);
            if (failed is null)
            {
                if (others.Count == 0)
                {
                    return true;
                }

                if (!await RunWritesAsync(connection, others, savepoints: false).ConfigureAwait(false))
                {
                    await Rollback.ExecuteAsync(connection, CancellationToken.None).ConfigureAwait(false);
                    return false;
                }

                await Commit.ExecuteAsync(connection, CancellationToken.None).ConfigureAwait(false);
                return true;
            }

            await Rollback.ExecuteAsync(connection, CancellationToken.None).ConfigureAwait(false);
            if (failed.Value.Write is not { } culprit)
            {
                return false;
            }

            // Each time round one write fewer: the loop ends.
            culprit.FailWith(failed.Value.Error);
        }
    }

    // Sends the writes' statements, at most BatchedWrites writes a round trip so that neither side's
    // buffers fill while the other still sends. Null when every statement ran; else the statement's
    // error and the write it belongs to (null when it is BEGIN's or COMMIT's), the transaction aborted.
    private static async Task<(IPendingWrite? Write, DbException Error)?> RunBatchesAsync(DbConnection connection, List<IPendingWrite> writes, bool commit)
    {
        for (var first = 0; first < writes.Count; first += BatchedWrites)
        {
            var chunk = writes.GetRange(first, Math.Min(BatchedWrites, writes.Count - first));
            await using var batch = connection.CreateBatch();
            if (first == 0)
            {
                AddText(batch, "BEGIN");
            }

            var owners = new List<IPendingWrite?>();
            owners.AddRange(Enumerable.Repeat<IPendingWrite?>(null, batch.BatchCommands.Count));
            foreach (var write in chunk)
            {
                foreach (var call in write.Calls!)
                {
                    call.Statement.AddTo(batch, call.Values);
                    owners.Add(write);
                }
            }

            if (commit && first + chunk.Count == writes.Count)
            {
                AddText(batch, "COMMIT");
            }

            try
            {
                var results = chunk.Select(w => new object?[w.Calls!.Length]).ToList();
                await using (var reader = await batch.ExecuteReaderAsync(CancellationToken.None).ConfigureAwait(false))
                {
                    // Only queries return result sets, in the order they were sent.
                    var onFirst = true;
                    for (var w = 0; w < chunk.Count; w++)
                    {
                        var calls = chunk[w].Calls!;
                        for (var i = 0; i < calls.Length; i++)
                        {
                            if (calls[i].IsQuery)
                            {
                                if (!onFirst)
                                {
                                    await reader.NextResultAsync(CancellationToken.None).ConfigureAwait(false);
                                }

                                onFirst = false;
                                results[w][i] = await calls[i].ReadAsync(reader, CancellationToken.None).ConfigureAwait(false);
                            }
                        }
                    }

                    while (await reader.NextResultAsync(CancellationToken.None).ConfigureAwait(false))
                    {
                        // Past the last query: what is left reports errors, if any.
                    }
                }

                var index = first == 0 ? 1 : 0;
                for (var w = 0; w < chunk.Count; w++)
                {
                    var calls = chunk[w].Calls!;
                    for (var i = 0; i < calls.Length; i++, index++)
                    {
                        if (!calls[i].IsQuery)
                        {
                            results[w][i] = batch.BatchCommands[index].RecordsAffected;
                        }
                    }

                    chunk[w].Ran(results[w]);
                }
            }
            catch (DbException e) when (connection.State == ConnectionState.Open)
            {
                var at = e.BatchCommand is { } command ? batch.BatchCommands.IndexOf(command) : -1;
                return (at >= 0 && at < owners.Count ? owners[at] : null, e);
            }
        }

        return null;
    }

    private static void AddText(DbBatch batch, string sql)
    {
        var command = batch.CreateBatchCommand();
        command.CommandText = sql;
        batch.BatchCommands.Add(command);
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

        /// <summary>The write's statements when they are known before it runs, so they can be sent in a batch; else null.</summary>
        StatementCall[]? Calls { get; }

        /// <summary>Takes the results of <see cref="Calls"/>, run in a batch.</summary>
        void Ran(object?[] results);

        /// <summary>Notes that the write failed with <paramref name="e"/>: it fails alone, and is not run again in its transaction.</summary>
        void FailWith(Exception e);

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

        public StatementCall[]? Calls { get; init; }

        public Func<object?[], T>? Result { get; init; }

        public void Ran(object?[] results)
        {
            try
            {
                _result = Result!(results);
            }
            catch (Exception e) when (e is InvalidOperationException or InvalidCastException)
            {
                // As a write run alone that throws: it fails, and no other write with it.
                _error = e;
            }
        }

        public void FailWith(Exception e)
        {
            _error = e;
            Failed = true;
        }

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
