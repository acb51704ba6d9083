using System.Data.Common;
using System.Globalization;

namespace Dispatcher.Ledger;

/// <summary>
/// Marks results sent, many jobs to a statement: the marks asked for while the ledger's writer is
/// busy wait for its next transaction and go into it together, as one <c>UPDATE</c> for up to
/// <see cref="StatementSize"/> jobs instead of a write each. A mark's task completes once the
/// transaction holding it committed, so a message is still acknowledged only after the mark it
/// caused is in the ledger. A batch whose write fails is tried again in a later transaction, up to
/// <see cref="Tries"/> times, before its marks fail: their results are then published again by the
/// messages' next deliveries (at least once, as when a mark is lost with a crash).
/// </summary>
internal sealed class ResultMarks
{
    /// <summary>The most jobs one statement marks; a smaller batch fills the rest with nulls, which match no job.</summary>
    public const int StatementSize = 64;

    /// <summary>How many times a batch's write is tried before its marks fail.</summary>
    public const int Tries = 3;

    private static readonly Statement Mark = new(
        $"UPDATE jobs SET result_published = 1 WHERE job_id IN ({string.Join(", ", Names())})",
        Names());

    private readonly Func<Func<DbConnection, CancellationToken, Task<int>>, Task<int>> _write;
    private readonly Lock _lock = new();

    // The batch new marks join: queued in the writer and not yet begun.
    private Batch? _open;

    /// <summary>Marks written by <paramref name="write"/>, which runs a write in the ledger writer's next transaction.</summary>
    public ResultMarks(Func<Func<DbConnection, CancellationToken, Task<int>>, Task<int>> write)
    {
        _write = write;
    }

    /// <summary>Marks the job's result sent; completes once that is committed.</summary>
    public Task MarkAsync(string jobId, CancellationToken ct)
    {
        Batch batch;
        bool first;
        lock (_lock)
        {
            first = _open is null;
            batch = _open ??= new Batch();
            batch.JobIds.Add(jobId);
        }

        if (first)
        {
            _ = WriteAsync(batch);
        }

        // The caller may stop waiting; the mark is written all the same.
        return batch.Done.Task.WaitAsync(ct);
    }

    private async Task WriteAsync(Batch batch)
    {
        for (var tried = 1; tried <= Tries; tried++)
        {
            try
            {
                await _write((c, t) => RunAsync(c, t, batch)).ConfigureAwait(false);
                batch.Done.TrySetResult();
                return;
            }
            catch (Exception e)
            {
                // A write that never ran left its batch open: the marks that come now go to the next.
                Close(batch);
                if (tried >= Tries || e is ObjectDisposedException or OperationCanceledException)
                {
                    batch.Done.TrySetException(e);
                    return;
                }
            }
        }
    }

    // Runs in the writer's transaction, again when the transaction is run again without a write that
    // failed beside it: the batch closes on the first run, so every run marks the same jobs.
    private async Task<int> RunAsync(DbConnection connection, CancellationToken ct, Batch batch)
    {
        Close(batch);
        var values = new object?[StatementSize];
        var marked = 0;
        for (var start = 0; start < batch.JobIds.Count; start += StatementSize)
        {
            for (var i = 0; i < StatementSize; i++)
            {
                values[i] = start + i < batch.JobIds.Count ? batch.JobIds[start + i] : null;
            }

            marked += await Mark.ExecuteAsync(connection, ct, values).ConfigureAwait(false);
        }

        return marked;
    }

    private void Close(Batch batch)
    {
        lock (_lock)
        {
            if (ReferenceEquals(_open, batch))
            {
                _open = null;
            }
        }
    }

    private static string[] Names() =>
        [.. Enumerable.Range(0, StatementSize).Select(i => "@j" + i.ToString(CultureInfo.InvariantCulture))];

    private sealed class Batch
    {
        public List<string> JobIds { get; } = [];

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
