using Dispatcher.Quotas;
using Dispatcher.Routing;

namespace Dispatcher.Dispatching;

/// <summary>
/// Where a job waits when no deployment can afford it. It sleeps until the earliest refill the
/// router reported, or until a settle returns capacity sooner, then tries again: no busy loop.
/// While a job of higher priority for the same model group waits for quota, lower-priority jobs
/// wait behind it, so scarce capacity goes to higher priority first. A job waiting only for an
/// open breaker holds nobody back: the capacity others would take is not what it waits for. The number of waiting jobs is
/// bounded by the intake's concurrency; the rest of the backlog stays in the broker, visible
/// as intake queue depth.
/// </summary>
public sealed class DispatchGate(DeploymentRouter router, QuotaBook quotas, TimeProvider time)
{
    // Longest a waiting job sleeps before it looks again, whatever it is waiting for.
    private static readonly TimeSpan MaxNap = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    // Jobs waiting for quota, by group and priority: they hold back lower priorities.
    private readonly Dictionary<string, SortedDictionary<int, int>> _waiting = new(StringComparer.Ordinal);
    private int _waitingForBreakers;
    private TaskCompletionSource _turn = NewSignal();

    /// <summary>How many jobs are waiting for capacity now.</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _waiting.Values.Sum(g => g.Values.Sum()) + _waitingForBreakers;
            }
        }
    }

    /// <summary>
    /// Routes the job as soon as a deployment can afford it. Returns a refusal at once when
    /// waiting cannot help; throws <see cref="OperationCanceledException"/> when
    /// <paramref name="ct"/> ends the wait (shutdown, or the job's deadline). With
    /// <paramref name="waitForBreakers"/>, a group whose deployments are only held back by open
    /// breakers is waited for too; without it, that refusal comes back at once, so the caller
    /// can try a fallback group first.
    /// </summary>
    public async Task<RoutingDecision> RouteAsync(RoutingRequest request, int priority, bool waitForBreakers, CancellationToken ct)
    {
        bool? forQuota = null; // what this job is registered as waiting for; null while not registered
        try
        {
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                var turn = Volatile.Read(ref _turn).Task;
                var changed = quotas.Changed;
                var nap = MaxNap;
                var quotaWait = true;
                if (!HigherPriorityWaits(request.ModelGroup, priority))
                {
                    var decision = router.Route(request);
                    var retryIn = decision.RetryIn ?? (waitForBreakers ? decision.BreakerRetryIn : null);
                    if (decision.Deployment is not null || retryIn is null)
                    {
                        return decision;
                    }

                    quotaWait = decision.RetryIn is not null;
                    nap = retryIn.Value < MaxNap ? retryIn.Value : MaxNap;
                }

                if (forQuota != quotaWait)
                {
                    if (forQuota is { } was)
                    {
                        Register(request.ModelGroup, priority, was, -1);
                    }

                    Register(request.ModelGroup, priority, quotaWait, +1);
                    forQuota = quotaWait;
                }

                using var wake = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var sleep = Task.Delay(nap, time, wake.Token);
                await Task.WhenAny(sleep, turn, changed);
                await wake.CancelAsync();
            }
        }
        finally
        {
            if (forQuota is { } was)
            {
                Register(request.ModelGroup, priority, was, -1);
                Interlocked.Exchange(ref _turn, NewSignal()).TrySetResult();
            }
        }
    }

    private bool HigherPriorityWaits(string group, int priority)
    {
        lock (_lock)
        {
            return _waiting.TryGetValue(group, out var byPriority) && byPriority.Count > 0 && byPriority.Keys.Max() > priority;
        }
    }

    private void Register(string group, int priority, bool forQuota, int delta)
    {
        lock (_lock)
        {
            if (!forQuota)
            {
                _waitingForBreakers += delta;
                return;
            }

            if (!_waiting.TryGetValue(group, out var byPriority))
            {
                _waiting[group] = byPriority = new SortedDictionary<int, int>();
            }

            var count = byPriority.GetValueOrDefault(priority) + delta;
            if (count <= 0)
            {
                byPriority.Remove(priority);
            }
            else
            {
                byPriority[priority] = count;
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
