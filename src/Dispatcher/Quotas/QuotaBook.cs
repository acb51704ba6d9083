using System.Globalization;
using Dispatcher.Catalog;
using Dispatcher.Catalog.Limits;
using Dispatcher.Contracts;
using Dispatcher.Ledger;
using Microsoft.Extensions.Options;

namespace Dispatcher.Quotas;

/// <summary>
/// Every deployment's quota in this dispatcher. One lock covers them all: the router holds it
/// across filter, pick and reserve so two concurrent jobs can never both take the last slot.
/// Time is the <see cref="TimeProvider"/>'s monotonic timestamp; wall time is used only to
/// carry levels across a restart.
/// </summary>
public sealed class QuotaBook
{
    private readonly Dictionary<string, DeploymentQuota> _quotas;
    private readonly TimeProvider _time;
    private readonly long _origin;
    private long _sequence;
    private TaskCompletionSource _changed = NewSignal();

    /// <summary>Creates full buckets for every deployment in the catalog.</summary>
    public QuotaBook(IOptions<CatalogOptions> catalog, TimeProvider time)
    {
        _time = time;
        _origin = time.GetTimestamp();
        var options = catalog.Value;
        var window = options.QuotaWindow.TotalSeconds;
        Window = options.QuotaWindow;
        Padding = options.QuotaWindow * options.QuotaWindowPadding;
        OpenCap = TimeSpan.FromSeconds(SlidingWindow.OpenCapFor(window));
        _quotas = options.Deployments.ToDictionary(
            d => d.Id,
            d => new DeploymentQuota(d, window, 0),
            StringComparer.Ordinal);
        // Sequences must not repeat across restarts: settles of jobs reserved before a restart
        // carry sequences the new process must not confuse with its own.
        _sequence = time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
        FirstSequence = _sequence + 1;
    }

    /// <summary>
    /// The first sequence this book hands out. Sequences are seeded from wall time, so one below
    /// it was reserved by an earlier process (or is none at all: 0).
    /// </summary>
    public long FirstSequence { get; }

    /// <summary>The lock the router holds while it filters, picks and reserves.</summary>
    public Lock Gate { get; } = new();

    /// <summary>Seconds on the monotonic clock since this book was created.</summary>
    public double Now => _time.GetElapsedTime(_origin).TotalSeconds;

    /// <summary>The quota of a deployment.</summary>
    public DeploymentQuota this[string deploymentId] => _quotas[deploymentId];

    /// <summary>Reserves one request and <paramref name="tokens"/> on a deployment; returns the reservation's sequence.</summary>
    public long Reserve(string deploymentId, QuotaTokens tokens)
    {
        lock (Gate)
        {
            return Reserve(_quotas[deploymentId], tokens, Now);
        }
    }

    /// <summary>
    /// Reserves one request and <paramref name="tokens"/> on <paramref name="quota"/> at
    /// <paramref name="now"/>, for a caller that already holds <see cref="Gate"/>.
    /// </summary>
    public long Reserve(DeploymentQuota quota, QuotaTokens tokens, double now)
    {
        var sequence = ++_sequence;
        quota.Reserve(sequence, tokens, now);
        return sequence;
    }

    /// <summary>
    /// Settles a reservation against the tokens really used (0 for a failed call) and applies the
    /// provider's signals. The windows count the call from when the provider received it, as
    /// <paramref name="timing"/> tells (<see cref="CallTiming.SinceReceived"/> with this book's
    /// <see cref="Padding"/>). A reservation an earlier process made is settled alike when the
    /// windows were seeded with it (<see cref="Seed"/>); one the windows no longer hold (past its
    /// open cap) or never held still counts from when the provider received the call.
    /// </summary>
    public void Settle(string deploymentId, long sequence, QuotaTokens reservedTokens, QuotaTokens actualTokens, CallTiming timing, RateLimitSnapshot? limits, TimeSpan? retryAfter, int? statusCode = null)
    {
        lock (Gate)
        {
            if (!_quotas.TryGetValue(deploymentId, out var quota))
            {
                return; // a deployment removed from the catalog since the job was sent
            }

            var now = Now;
            quota.Settle(sequence, reservedTokens, actualTokens, timing.SinceReceived(Padding), now);
            quota.Correct(limits, retryAfter, now, statusCode);
        }

        Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();
    }

    /// <summary>Undoes a reservation whose call was never sent: it leaves the windows and goes back to the buckets.</summary>
    public void Release(string deploymentId, long sequence, QuotaTokens reservedTokens)
    {
        lock (Gate)
        {
            if (!_quotas.TryGetValue(deploymentId, out var quota))
            {
                return;
            }

            quota.Release(sequence, reservedTokens, Now);
        }

        Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();
    }

    /// <summary>Completes at the next settle: capacity may have come back before the next refill.</summary>
    public Task Changed => Volatile.Read(ref _changed).Task;

    /// <summary>Every deployment's bucket levels now, with its pause, for persistence.</summary>
    public IReadOnlyList<QuotaLevel> Levels()
    {
        lock (Gate)
        {
            var now = Now;
            var wall = _time.GetUtcNow();
            var at = wall.ToString("O", CultureInfo.InvariantCulture);
            return _quotas.Select(q =>
            {
                var levels = q.Value.Levels(now);
                var paused = q.Value.PausedForSeconds(now);
                return new QuotaLevel(q.Key, levels.Requests, levels.Tokens, at)
                {
                    InputTokens = levels.InputTokens,
                    OutputTokens = levels.OutputTokens,
                    PausedUntil = paused > 0 ? (wall + TimeSpan.FromSeconds(paused)).ToString("O", CultureInfo.InvariantCulture) : null,
                    PauseReason = q.Value.PauseReasonAt(now),
                    PauseWaiting = paused > 0 ? q.Value.RetriesWaiting(now) : 0,
                };
            }).ToList();
        }
    }

    /// <summary>The deployments a provider has paused now, in catalog order, with when each pause ends.</summary>
    public IReadOnlyList<DeploymentPause> Pauses()
    {
        lock (Gate)
        {
            var now = Now;
            var wall = _time.GetUtcNow();
            var pauses = new List<DeploymentPause>();
            foreach (var (id, quota) in _quotas)
            {
                var paused = quota.PausedForSeconds(now);
                if (paused > 0)
                {
                    pauses.Add(new DeploymentPause(id, wall + TimeSpan.FromSeconds(paused), quota.PauseReasonAt(now), quota.RetriesWaiting(now)));
                }
            }

            return pauses;
        }
    }

    /// <summary>
    /// Notes a job held for <paramref name="delay"/> before its retry, after a Retry-After of
    /// <paramref name="deploymentId"/>: the deployment's pause counts it among its waiting jobs
    /// until the delay is over.
    /// </summary>
    public void NoteRetryWaiting(string deploymentId, TimeSpan delay)
    {
        lock (Gate)
        {
            if (_quotas.TryGetValue(deploymentId, out var quota))
            {
                var now = Now;
                quota.NoteRetryWaiting(now + delay.TotalSeconds, now);
            }
        }
    }

    /// <summary>Every deployment's quota use now, in catalog order, for status and the dashboard.</summary>
    public IReadOnlyList<QuotaUsage> Usage()
    {
        lock (Gate)
        {
            var now = Now;
            return _quotas.Select(q => q.Value.Usage(q.Key, now)).ToList();
        }
    }

    /// <summary>
    /// Restores saved levels, refilled for the time since they were saved, so a restart does not
    /// hand out a fresh burst; a provider's pause that has not ended yet is restored too.
    /// </summary>
    public void Restore(IEnumerable<QuotaLevel> levels)
    {
        lock (Gate)
        {
            var now = Now;
            foreach (var level in levels)
            {
                if (_quotas.TryGetValue(level.DeploymentId, out var quota))
                {
                    var wall = _time.GetUtcNow();
                    var since = wall - DateTimeOffset.Parse(level.SavedAt, CultureInfo.InvariantCulture);
                    quota.Restore(new QuotaBucketLevels(level.Requests, level.Tokens, level.InputTokens, level.OutputTokens), since.TotalSeconds, now);
                    // A provider that asked an earlier process to wait is not called before it said.
                    if (level.PausedUntil is { } until
                        && DateTimeOffset.TryParse(until, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var end) && end > wall)
                    {
                        quota.Pause((end - wall).TotalSeconds, level.PauseReason, now);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Refills the sliding windows with the attempts an earlier process sent, as it counted them,
    /// since the providers still count them too. An attempt whose outcome is recorded counts as
    /// that process settled it: one window from when the provider received the call, worked out
    /// from the recorded outcome as a settle works it out. An attempt still under way is held open
    /// under its reservation's sequence until its outcome settles it here (or its open cap
    /// passes); one with no recorded sequence counts as received <see cref="Padding"/> after it
    /// was sent, and its outcome then changes only the token bucket. Each attempt is to be given
    /// once with its outcome, and at most once before it.
    /// </summary>
    public void Seed(IEnumerable<RecentAttempt> attempts)
    {
        lock (Gate)
        {
            var now = Now;
            var wall = _time.GetUtcNow();
            // Held open in sequence order, as the windows keep reservations.
            foreach (var attempt in attempts.OrderBy(a => a.RecordedAt is null).ThenBy(a => a.Sequence))
            {
                if (!_quotas.TryGetValue(attempt.DeploymentId, out var quota))
                {
                    continue;
                }

                var tokens = attempt.QuotaTokens;
                DateTimeOffset? sent = attempt.DispatchedAt is { } d ? DateTimeOffset.Parse(d, CultureInfo.InvariantCulture) : null;
                if (attempt.RecordedAt is { } r)
                {
                    var recorded = DateTimeOffset.Parse(r, CultureInfo.InvariantCulture);
                    var received = recorded - CallTiming.FromMilliseconds(attempt.LatencyMs ?? 0, attempt.ProviderMs).SinceReceived(Padding);
                    if (sent > received)
                    {
                        received = sent.Value;
                    }

                    quota.SeedSettled(attempt.Sequence ?? 0, tokens, (wall - received).TotalSeconds, now);
                }
                else if (sent is { } at)
                {
                    var ago = Math.Max(0, (wall - at).TotalSeconds);
                    if (attempt.Sequence is not { } sequence || !quota.SeedOpen(sequence, tokens, ago, now))
                    {
                        quota.Seed(tokens, ago - Padding.TotalSeconds, now);
                    }
                    else if (sequence > _sequence)
                    {
                        // Held open under a sequence of a process that started after this one:
                        // this book's next reservations come after it, as a window needs them to.
                        _sequence = sequence;
                    }
                }
            }
        }
    }

    /// <summary>The quota window every deployment's limits are counted over (<c>QuotaWindow</c>).</summary>
    public TimeSpan Window { get; }

    /// <summary>
    /// How long an attempt counts in the windows while its outcome is not known
    /// (<see cref="SlidingWindow.OpenCapSeconds"/>): attempts under way are seeded from that far back.
    /// </summary>
    public TimeSpan OpenCap { get; }

    /// <summary>
    /// How long after the worker started a call the provider is taken to have received it when the
    /// provider does not say (<c>QuotaWindow</c> × <c>QuotaWindowPadding</c>).
    /// </summary>
    public TimeSpan Padding { get; }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
