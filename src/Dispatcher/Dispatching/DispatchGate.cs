using Dispatcher.Fairness;
using Dispatcher.Quotas;
using Dispatcher.Routing;

namespace Dispatcher.Dispatching;

/// <summary>
/// Where a job waits when no deployment can afford it. It sleeps until the earliest refill the
/// router reported, or until a settle returns capacity sooner, then tries again: no busy loop.
/// While a job of higher priority for the same model group waits for quota, lower-priority jobs
/// wait behind it, so scarce capacity goes to higher priority first; within a priority, the job
/// whose tenant (then batch) is furthest below its fair share goes first (<see cref="FairShares"/>).
/// A job waiting only for an open breaker, or for an availability window to open, holds nobody
/// back: the capacity others would take is not what it waits for. The number of waiting jobs is bounded by the dispatch lanes'
/// concurrency; the rest of the backlog stays in the broker, visible as the lanes' depth.
/// </summary>
public sealed class DispatchGate(DeploymentRouter router, QuotaBook quotas, FairShares fair, TimeProvider time)
{
    // Longest a waiting job sleeps before it looks again, whatever it is waiting for.
    private static readonly TimeSpan MaxNap = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    // Jobs waiting for quota, by group and priority: they hold back lower priorities.
    private readonly Dictionary<string, SortedDictionary<int, int>> _waiting = new(StringComparer.Ordinal);
    // Jobs waiting for a breaker or a window: they hold nobody back.
    private int _waitingForBreakers;
    // Jobs registered as waiting, for quota or for a breaker.
    private int _registered;
    private TaskCompletionSource _turn = NewSignal();

    /// <summary>Each tenant's and batch's share of the capacity jobs wait for here.</summary>
    public FairShares Shares => fair;

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
    /// Routes the job as soon as a deployment can afford it, taking its turn among the jobs
    /// waiting for its group. Returns a refusal at once when waiting cannot help; throws
    /// <see cref="OperationCanceledException"/> when <paramref name="ct"/> ends the wait
    /// (shutdown, or the job's deadline).
    /// </summary>
    /// <param name="request">The job.</param>
    /// <param name="place">The job's priority, tenant and batch: whose turn it is comes from them.</param>
    /// <param name="waitForBreakers">
    /// Whether a group whose deployments are only held back by open breakers is waited for too;
    /// without it, that refusal comes back at once, so the caller can try a fallback group first.
    /// </param>
    /// <param name="defer">
    /// Returns null instead of waiting, when the job would wait: the caller puts it in its
    /// dispatch lane, where the backlog waits in the broker, not here.
    /// </param>
    /// <param name="ct">Ends the wait.</param>
    public async Task<RoutingDecision?> RouteAsync(RoutingRequest request, FairKey place, bool waitForBreakers, bool defer, CancellationToken ct)
    {
        var priority = place.Priority;
        var ticket = fair.Join(request.ModelGroup, place);
        var sharing = true; // whether the job holds its place among those sharing the group's capacity
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
                if (!HigherPriorityWaits(request.ModelGroup, priority) && fair.IsTurnOf(ticket))
                {
                    var decision = router.Route(request);
                    if (decision.Deployment is not null)
                    {
                        fair.Charge(ticket, request.EstimatedTotalTokens);
                        return decision;
                    }

                    var retryIn = decision.RetryIn ?? (waitForBreakers ? decision.BreakerRetryIn : null);
                    if (retryIn is null)
                    {
                        return decision;
                    }

                    quotaWait = decision.RetryIn is not null && !decision.ForWindow;
                    nap = retryIn.Value < MaxNap ? retryIn.Value : MaxNap;
                }

                if (defer)
                {
                    return null;
                }

                // A job waiting only for an open breaker or a window holds nobody back: the
                // capacity others would take is not what it waits for.
                if (sharing != quotaWait)
                {
                    if (sharing)
                    {
                        fair.Leave(ticket);
                    }
                    else
                    {
                        ticket = fair.Join(request.ModelGroup, place);
                    }

                    sharing = quotaWait;
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
            if (sharing)
            {
                fair.Leave(ticket);
            }

            if (forQuota is { } was)
            {
                Register(request.ModelGroup, priority, was, -1);
            }

            // Whoever waited behind this job (a lower priority, a flow that was not furthest below
            // its share) looks again.
            if (Volatile.Read(ref _registered) > 0)
            {
                Interlocked.Exchange(ref _turn, NewSignal()).TrySetResult();
            }
        }
    }

    /// <summary>Routes the job as soon as a deployment can afford it, as a job of no batch at <paramref name="priority"/>.</summary>
    public async Task<RoutingDecision> RouteAsync(RoutingRequest request, int priority, bool waitForBreakers, CancellationToken ct) =>
        (await RouteAsync(request, FairKey.Of(priority, request.Tenant, null), waitForBreakers, defer: false, ct)).GetValueOrDefault();

    private bool HigherPriorityWaits(string group, int priority)
    {
        lock (_lock)
        {
            return _waiting.TryGetValue(group, out var byPriority) && byPriority.Count > 0 && byPriority.Keys.Max() > priority;
        }
    }

    private void Register(string group, int priority, bool forQuota, int delta)
    {
        Interlocked.Add(ref _registered, delta);
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
