using System.Collections.Concurrent;
using Dispatcher.Catalog;
using Dispatcher.Ledger;
using Dispatcher.Reconciling;
using Microsoft.Extensions.Options;

namespace Dispatcher.Dispatching;

/// <summary>
/// The jobs whose attempt this process sent, each as it was sent and without its body, from the
/// send until the attempt's outcome: what the outcome of a success needs to settle the attempt, end
/// the job and publish its result, so that it reads nothing back from the ledger. A cache, never
/// the truth: whether the job is still open, and whether a report is its attempt's first, are the
/// ledger's to say, by its conditional writes. A job may be missing (the process restarted, another
/// dispatcher took its share over, the cache was full); its outcome then reads it from the ledger.
/// </summary>
public sealed class InFlightJobs
{
    /// <summary>
    /// The most jobs held. A job's entry keeps its identifiers and estimates, a few hundred bytes,
    /// so this is some tens of MiB at most; more jobs in flight than this are read back as before.
    /// </summary>
    public const int Capacity = 32_768;

    private readonly ConcurrentDictionary<string, Entry> _jobs = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly TimeSpan _stale;
    private int _count;
    private long _nextSweep;

    /// <summary>
    /// A cache whose entries older than the longest attempt lease (<see cref="ReconcilerOptions"/>
    /// and the slowest deployment's timeout) may be dropped when it is full: by then the attempt's
    /// outcome went to another dispatcher or the reconciler re-drove it.
    /// </summary>
    public InFlightJobs(TimeProvider time, IOptions<ReconcilerOptions> reconciler, IOptions<CatalogOptions> catalog)
    {
        _time = time;
        var slowest = catalog.Value.Deployments.Count == 0 ? 0 : catalog.Value.Deployments.Max(d => d.TimeoutSeconds);
        _stale = reconciler.Value.QueueAllowance + TimeSpan.FromSeconds(slowest) + reconciler.Value.ReportGrace;
    }

    /// <summary>How many jobs are held.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>
    /// Holds <paramref name="job"/> as attempt <paramref name="attempt"/> of it was claimed: on
    /// <paramref name="deploymentId"/> under the quota reservation <paramref name="quotaSeq"/>,
    /// replacing what was held for an earlier attempt. When the cache is full, the job is not held.
    /// </summary>
    public void Add(JobRow job, int attempt, string deploymentId, long quotaSeq)
    {
        Remove(job.JobId);
        if (Volatile.Read(ref _count) >= Capacity && !Sweep())
        {
            return;
        }

        // The body and the texts routing wrote stay out: a success's outcome never reads them, and
        // it reads the job from the ledger for the one case that needs the body (see Find's caller).
        var sent = job with
        {
            Body = "",
            BodyMetadata = null,
            RouteReason = null,
            Response = null,
            State = JobState.Dispatched,
            Attempts = attempt,
            DeploymentId = deploymentId,
            QuotaSeq = quotaSeq,
        };
        if (_jobs.TryAdd(job.JobId, new Entry(sent, _time.GetTimestamp())))
        {
            Interlocked.Increment(ref _count);
        }
    }

    /// <summary>The job as its latest attempt here was sent, without its body; null when not held.</summary>
    public JobRow? Find(string jobId) => _jobs.TryGetValue(jobId, out var entry) ? entry.Job : null;

    /// <summary>
    /// Lets go of the job once attempt <paramref name="attempt"/> of it reported: unless what is held
    /// is a later attempt (a late report of an earlier one leaves the one under way).
    /// </summary>
    public void Remove(string jobId, int attempt)
    {
        if (_jobs.TryGetValue(jobId, out var entry) && entry.Job.Attempts <= attempt && _jobs.TryRemove(KeyValuePair.Create(jobId, entry)))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    private void Remove(string jobId)
    {
        if (_jobs.TryRemove(jobId, out _))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    // Drops the entries older than an attempt's lease, at most once per lease, and says whether
    // there is room now. Outcomes that never came here (another dispatcher took the share over)
    // leave entries no report will remove; nothing else does.
    private bool Sweep()
    {
        var now = _time.GetTimestamp();
        var next = Volatile.Read(ref _nextSweep);
        if (now < next || Interlocked.CompareExchange(ref _nextSweep, now + (long)(_stale.TotalSeconds * _time.TimestampFrequency), next) != next)
        {
            return false;
        }

        foreach (var (jobId, entry) in _jobs)
        {
            if (_time.GetElapsedTime(entry.AddedAt, now) > _stale && _jobs.TryRemove(KeyValuePair.Create(jobId, entry)))
            {
                Interlocked.Decrement(ref _count);
            }
        }

        return Volatile.Read(ref _count) < Capacity;
    }

    // Compared by reference, so a removal takes exactly the entry it looked at.
    private sealed class Entry(JobRow job, long addedAt)
    {
        public JobRow Job => job;

        public long AddedAt => addedAt;
    }
}
