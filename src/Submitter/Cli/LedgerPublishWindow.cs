using Dispatcher.Batches;
using Dispatcher.Contracts;
using Dispatcher.Ledger;

namespace Dispatcher.Submitter.Cli;

/// <summary>
/// The embedded <c>run</c>'s bound on jobs in flight: a chunk is published only once the jobs
/// published and not yet ended — those the ledger holds unfinished, plus those published and not
/// yet recorded — leave room for it, so the in-memory queues (intake, dispatch lanes, provider
/// queues, outcomes) never hold more than <see cref="Size"/> jobs however long the file, and the
/// first results come within moments of the start. A resumed batch's lines the ledger already
/// holds are left out, since the dispatcher has them.
/// </summary>
/// <remarks>
/// The ledger is read only when the count kept since the last reading could be over the window
/// (jobs only leave flight between readings), and then only the unfinished jobs' index entries and
/// the custom ids published and not yet seen recorded: what a reading costs follows the window,
/// not the batch.
/// </remarks>
internal sealed class LedgerPublishWindow : IPublishWindow
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(25);

    private readonly JobLedger _ledger;
    private readonly string _batchId;
    private readonly bool _resumed;
    private readonly TimeProvider _time;
    private readonly HashSet<string> _unrecorded = new(StringComparer.Ordinal);

    // Jobs in flight at the last reading plus those admitted since: never less than the truth.
    private long _atMost;

    /// <param name="ledger">The ledger the run's dispatcher records the batch in.</param>
    /// <param name="batchId">The batch being published.</param>
    /// <param name="size">The most jobs in flight at once.</param>
    /// <param name="resumed">Whether the batch was started by an earlier run, so some of its lines may be recorded already.</param>
    /// <param name="time">The clock of the waits between readings.</param>
    public LedgerPublishWindow(JobLedger ledger, string batchId, int size, bool resumed, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        _ledger = ledger;
        _batchId = batchId;
        Size = size;
        _resumed = resumed;
        _time = time;

        // A resumed batch's unfinished jobs are in flight from the start.
        _atMost = resumed ? long.MaxValue / 2 : 0;
    }

    /// <inheritdoc />
    public int Size { get; }

    /// <inheritdoc />
    public async Task<List<SubmitCompletion>> AdmitAsync(List<SubmitCompletion> chunk, CancellationToken ct)
    {
        var jobs = chunk;
        if (_resumed)
        {
            var recorded = (await _ledger.FindRecordedCustomIdsAsync(_batchId, chunk.ConvertAll(j => j.CustomId), ct)).ToHashSet(StringComparer.Ordinal);
            jobs = recorded.Count == 0 ? chunk : chunk.FindAll(j => !recorded.Contains(j.CustomId));
            if (jobs.Count == 0)
            {
                return jobs;
            }
        }

        // The publisher makes no chunk larger than the window.
        bool Full() => _atMost + jobs.Count > Size;
        if (Full())
        {
            await ReadAsync(ct);
            while (Full())
            {
                await Task.Delay(Poll, _time, ct);
                await ReadAsync(ct);
            }
        }

        foreach (var job in jobs)
        {
            _unrecorded.Add(job.CustomId);
        }

        _atMost += jobs.Count;
        return jobs;
    }

    // Reads the ledger: jobs recorded and not ended, plus jobs published and not yet recorded.
    private async Task ReadAsync(CancellationToken ct)
    {
        if (_unrecorded.Count > 0)
        {
            _unrecorded.ExceptWith(await _ledger.FindRecordedCustomIdsAsync(_batchId, _unrecorded, ct));
        }

        _atMost = _unrecorded.Count + await _ledger.CountUnfinishedJobsAsync(_batchId, ct);
    }
}
