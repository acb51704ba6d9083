using System.Globalization;
using System.Text.Json;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Fairness;
using Dispatcher.Ledger;
using Dispatcher.Lifecycle;
using Dispatcher.Monitoring;
using Dispatcher.Quotas;
using Dispatcher.Reservations;
using Dispatcher.Reconciling;
using Dispatcher.Retries;
using Dispatcher.Routing;
using Dispatcher.ServiceDefaults.Messaging;
using Dispatcher.Standby;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dispatcher.Dispatching;

/// <summary>
/// Sends a job's next attempt to the deployment routing picks, waiting for quota when every
/// deployment is spent, or ends the job when no deployment can take it. Shared by intake and
/// by the outcome flow (retries). A job whose batch is paused is put aside instead, and one whose
/// batch is cancelled or expired is ended (<see cref="BatchControls"/>). With several shares
/// (<see cref="DispatchShares"/>), a job of a share this process does not own is handed on to that
/// share's dispatch lane, where its owner takes it, and an attempt is claimed under the share's
/// epoch: a claim the ledger refuses because another process took the share over sends nothing,
/// and the share is left (<see cref="ShareLostException"/>).
/// </summary>
public sealed class JobDispatch(
    DispatchGate gate,
    AttemptReservations reservations,
    JobLedger ledger,
    ResultPublisher results,
    IOptions<CatalogOptions> catalog,
    TimeProvider time,
    ILogger<JobDispatch> logger,
    DispatcherInstrumentation instrumentation,
    PackingSender<CompletionWork, CompletionWorkPack> workSender,
    IOptions<ReconcilerOptions> reconciler,
    BatchControls controls,
    DispatchLanes lanes,
    RoutingRules rules,
    JobRoutes routes,
    IOptions<TransportOptions> transport,
    SharedTenantBudgets sharedBudgets,
    DispatchShares shares,
    DispatcherActivation activation,
    InFlightJobs inFlight,
    ShareQueueSender shareSender)
{
    /// <summary>
    /// Routes and sends attempt <paramref name="attempt"/> of <paramref name="job"/>, avoiding
    /// <paramref name="excluded"/> deployments, along <paramref name="groups"/> (the job's group
    /// and its fallback chain when null). With <paramref name="resend"/> the attempt was already
    /// claimed by a delivery that may have died before sending it, and it goes out again under a
    /// claim that replaces the one <paramref name="job"/> shows, whose reservation is given back,
    /// unless an earlier try of this very delivery sent it (<see cref="SentAttempts"/>).
    /// <paramref name="body"/> is the job's request body when the caller holds it already (the
    /// intake); otherwise it is read from the job's stored text. With <paramref name="mayDefer"/>,
    /// a job that would wait for capacity goes to its dispatch lane instead (<see cref="DispatchLanes"/>),
    /// to wait there, in the broker, for its turn; a delivery off a lane waits here.
    /// </summary>
    public async Task DispatchAsync(
        JobRow job,
        int attempt,
        IReadOnlySet<string> excluded,
        IReadOnlyList<string>? groups,
        bool resend,
        bool mayDefer,
        ConsumeContext context,
        CancellationToken ct,
        JsonElement? body = null)
    {
        var sent = SentAttempts.Of(context);
        if (resend && sent.Contains(job.JobId))
        {
            return;
        }

        ShareFence? fence = null;
        if (shares.Split)
        {
            var share = shares.ShareOf(job.ModelGroup);
            if (activation.EpochOf(share) is not { } epoch)
            {
                // Not this process's share: its owner routes it, off the share's own lane. An attempt
                // to send again goes with the right to do so (RetryCompletion.Resend).
                await DeferAsync(job, attempt, excluded, groups ?? [job.ModelGroup, .. catalog.Value.Group(job.ModelGroup).Fallbacks], sent, context, ct, $"to the dispatcher of share {share}", resend);
                return;
            }

            fence = new ShareFence(share, epoch);
        }

        // A new attempt of a paused, cancelled or expired batch does not start: the job is put
        // aside (paused) or ended (cancelled, expired) instead. An attempt sent again (resend) was
        // claimed before any of that and goes out as claimed. The batch is looked at again, from
        // the ledger, whenever routing was interrupted by it or the ledger refused the claim.
        var fresh = false;
        while (true)
        {
            if (!resend)
            {
                var hold = await controls.CheckAsync(job.BatchId, fresh, ct);
                if (hold != BatchHold.None)
                {
                    if (await HoldAsync(job, attempt, hold, context, ct))
                    {
                        return;
                    }

                    fresh = true;
                    continue;
                }
            }

            if (!await TryDispatchAsync(job, attempt, excluded, groups, resend, mayDefer && !resend, sent, fence, context, ct, body))
            {
                return;
            }

            fresh = true;
        }
    }

    // Routes and sends the attempt; returns true when its batch held it (routing was interrupted by
    // a command on the batch or its expiry, or the ledger refused the claim for it), so the caller
    // looks at the batch again. Returns false when the job was sent, or ended, or another delivery
    // claimed the attempt.
    private async Task<bool> TryDispatchAsync(
        JobRow job,
        int attempt,
        IReadOnlySet<string> excluded,
        IReadOnlyList<string>? groups,
        bool resend,
        bool mayDefer,
        SentAttempts sent,
        ShareFence? fence,
        ConsumeContext context,
        CancellationToken ct,
        JsonElement? body)
    {
        using var activity = instrumentation.StartRoute(job, attempt);
        var request = await routes.RequestAsync(job, excluded, ct);
        var own = job.Deadline is null ? (DateTimeOffset?)null : DateTimeOffset.Parse(job.Deadline, CultureInfo.InvariantCulture);
        // The batch's completion window bounds the job's own deadline: no attempt starts after it,
        // at the dispatcher (the wait for quota ends) or at the worker (CompletionWork.Deadline).
        var expires = resend ? null : controls.ExpiresAt(job.BatchId);
        var batchBound = expires is { } e && (own is null || e <= own);
        var deadline = batchBound ? expires : own;
        var chain = groups ?? [job.ModelGroup, .. catalog.Value.Group(job.ModelGroup).Fallbacks];

        RoutingDecision? routed;
        var held = resend ? CancellationToken.None : controls.HoldToken(job.BatchId);
        using (var waitLimit = CancellationTokenSource.CreateLinkedTokenSource(ct, held))
        {
            if (deadline is { } d)
            {
                waitLimit.CancelAfter(Max(d - time.GetUtcNow(), TimeSpan.Zero));
            }

            try
            {
                routed = await RouteAlongAsync(request, chain, FairKey.Of((int)job.Priority, job.Tenant, job.BatchId), mayDefer, waitLimit.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                if (held.IsCancellationRequested || batchBound)
                {
                    return true;
                }

                await EndAsync(job, attempt, ErrorKind.DeadlineExceeded, $"deadline {deadline:O} passed while waiting for a deployment to take it (quota or an availability window)", excluded, chain, sent, fence, resend, context, ct);
                return false;
            }
        }

        if (routed is not { } decision)
        {
            await DeferAsync(job, attempt, excluded, chain, sent, context, ct, "waiting for capacity", resend: false);
            return false;
        }

        DispatcherInstrumentation.Decided(activity, decision);
        if (decision.Deployment is null)
        {
            logger.LogWarning("Job {JobId} ({CustomId}) cannot be routed: {Reason}", job.JobId, job.CustomId, decision.Reason);
            await EndAsync(job, attempt, decision.RefusalKind, decision.Reason, excluded, chain, sent, fence, resend, context, ct);
            return false;
        }

        var deployment = decision.Deployment;
        var work = new CompletionWork(
            request.JobId,
            deployment.Id,
            attempt,
            body ?? JsonElement.Parse(job.Body), // its own memory: the pack may be sent after this returns
            request.EstimatedPromptTokens,
            request.MaxTokens,
            deadline,
            activity?.Id,
            time.GetUtcNow() + reconciler.Value.QueueAllowance,
            decision.ReservationSequence,
            job.Endpoint,
            fence is { } f ? shares.Queue(QueueNames.Outcomes, f.Share) : null);

        // Mark, then send. The ledger then knows of every call that may have gone out, which a
        // restarted dispatcher counts against its quota windows. A crash or a failed send in
        // between leaves the job marked but perhaps unsent; the message that caused this dispatch
        // is then redelivered or tried again, and its consumer sends the attempt again.
        var replacing = resend ? job.QuotaSeq ?? 0 : (long?)null;
        var reservation = AttemptReservation.For(job, deployment, decision.ReservationSequence);
        var replacedReservation = replacing is { } replacedSequence && job.DeploymentId is { } previous
            && catalog.Value.Deployments.FirstOrDefault(d => d.Id == previous) is { } replacedOn
                ? AttemptReservation.For(job, replacedOn, replacedSequence)
                : (AttemptReservation?)null;
        var claimed = false;
        try
        {
            // A tenant cap several dispatchers share is held in the ledger, with the claim itself.
            var claim = sharedBudgets.HoldFor(reservation, replacedReservation) is { } hold
                ? await ledger.ClaimAttemptAsync(job.JobId, deployment.Id, attempt, decision.ReservationSequence, decision.Reason, replacing, hold, fence, ct)
                : await ledger.MarkDispatchedAsync(job.JobId, deployment.Id, attempt, decision.ReservationSequence, decision.Reason, replacing, fence, ct)
                    ? AttemptClaim.Claimed
                    : AttemptClaim.Refused;
            if (claim == AttemptClaim.OverBudget)
            {
                // What every dispatcher sharing the ledger has spent and holds leaves no room for
                // the job: it ends as one routing found over a cap would.
                reservations.Release(reservation);
                var reason = $"budget {SpendBook.TenantKey(job.Tenant!)} would be crossed (spend of every dispatcher sharing the ledger)";
                logger.LogWarning("Job {JobId} ({CustomId}) cannot be sent: {Reason}", job.JobId, job.CustomId, reason);
                await EndAsync(job, attempt, ErrorKind.BudgetExhausted, reason, excluded, chain, sent, fence, resend, context, ct);
                return false;
            }

            if (claim == AttemptClaim.Refused)
            {
                if (fence is { } lost && !await ledger.HoldsShareAsync(lost, ct))
                {
                    // Another process took the share over: nothing is sent.
                    reservations.Release(reservation);
                    await LeaveShareAsync(job, attempt, excluded, chain, sent, lost, resend, context, ct);
                    return false;
                }

                // Another delivery claimed this attempt first, the job ended meanwhile, or its batch
                // was paused, cancelled or expired since it was looked at: give back what routing
                // took for it, and in the last case let the caller see to the batch.
                reservations.Release(reservation);
                return !resend && await controls.CheckAsync(job.BatchId, fresh: true, ct) != BatchHold.None;
            }

            claimed = true;

            // The claim replaced holds a reservation that the attempt's outcome no longer settles.
            if (replacedReservation is { } replaced)
            {
                reservations.ReleaseReplaced(replaced);
            }

            // Held before the send, whose outcome may come back before the send returns.
            inFlight.Add(job, attempt, deployment.Id, decision.ReservationSequence);
            await workSender.SendAsync(transport.Value.SendAddress(QueueNames.Provider(deployment.Id)), work, ct);
        }
        catch (Exception) when (!claimed || !ct.IsCancellationRequested)
        {
            // The claim or the send failed, so the attempt most likely never went out. The message
            // is tried again (or redelivered) and routes or resends the attempt under a reservation
            // of its own, so this one is given back. A claim the ledger never recorded is given back
            // even when the message's handling was cancelled (its channel closed with a broker
            // restart, the process stopping): nothing else knows of it. A recorded claim cut off in
            // its send is left to what the ledger shows: the redelivered message's resend replaces
            // it and gives it back, and if the send did go out, the attempt's outcome settles it.
            reservations.Release(reservation);
            inFlight.Remove(job.JobId, attempt);
            throw;
        }

        sent.Add(job.JobId);
        instrumentation.JobRouted(deployment.Id, job.ModelGroup, decision.Strategy);
        // A job a rule sent elsewhere fell back only if it left the group it was sent to.
        instrumentation.JobFellBack(decision.SentBy?.SendsTo ?? job.ModelGroup, deployment.ModelGroup);
        if (logger.IsEnabled(LogLevel.Debug))
        {
            logger.LogDebug("Job {JobId} attempt {Attempt} → {Deployment}: {Reason}", job.JobId, attempt, deployment.Id, decision.Reason);
        }

        return false;
    }

    // Ends the job as routing decided, under the share's fence: a process another has taken the
    // share from ends nothing (what it decided from, its quotas, budgets and breakers, is no longer
    // the share's) and leaves the share.
    private async Task EndAsync(
        JobRow job,
        int attempt,
        ErrorKind kind,
        string reason,
        IReadOnlySet<string> excluded,
        IReadOnlyList<string> chain,
        SentAttempts sent,
        ShareFence? fence,
        bool resend,
        ConsumeContext context,
        CancellationToken ct)
    {
        if (!await results.FailAsync(job, kind, reason, null, attempt - 1, context, ct, fence) && fence is { } lost && !await ledger.HoldsShareAsync(lost, ct))
        {
            await LeaveShareAsync(job, attempt, excluded, chain, sent, lost, resend, context, ct);
        }
    }

    // This process lost the share of the job in hand to another: it leaves the share. A message off
    // one of the share's queues goes back to it unacknowledged, for the new owner; a job off a queue
    // every dispatcher shares (the intake, replays) is handed on to the share's lane, as any job of a
    // share this process does not own.
    private async Task LeaveShareAsync(
        JobRow job,
        int attempt,
        IReadOnlySet<string> excluded,
        IReadOnlyList<string> chain,
        SentAttempts sent,
        ShareFence lost,
        bool resend,
        ConsumeContext context,
        CancellationToken ct)
    {
        activation.Drop(lost.Share);
        if (DispatchShares.ShareOfDelivery(context) == lost.Share)
        {
            throw new ShareLostException(lost.Share);
        }

        await DeferAsync(job, attempt, excluded, chain, sent, context, ct, $"to the dispatcher of share {lost.Share}", resend);
    }

    // A job whose batch holds it: put aside while the batch is paused, ended when it is cancelled or
    // expired. Returns false when the batch changed meanwhile (resumed before the job was put aside),
    // so the caller looks at it again; true when the job needs nothing more from this delivery.
    private async Task<bool> HoldAsync(JobRow job, int attempt, BatchHold hold, ConsumeContext context, CancellationToken ct)
    {
        if (hold != BatchHold.Paused)
        {
            await results.EndForBatchAsync(job, BatchEnding.For(hold, job.BatchId), context, ct);
            return true;
        }

        if (await ledger.ParkJobAsync(job.JobId, ct))
        {
            if (logger.IsEnabled(LogLevel.Debug))
            {
                logger.LogDebug("Job {JobId} put aside: batch {BatchId} is paused", job.JobId, job.BatchId);
            }

            return true;
        }

        // Not put aside: the batch was resumed meanwhile (look again), or the job ended or another
        // delivery claimed its attempt (nothing more to do here).
        var now = await ledger.GetJobAsync(job.JobId, ct);
        return now is null || JobState.IsTerminal(now.State) || now.Attempts >= attempt;
    }

    /// <summary>
    /// Whether the delivery <paramref name="context"/> sends attempt <paramref name="attempt"/> of
    /// <paramref name="job"/> again, the attempt being claimed already: only when this very message
    /// was handled before (redelivered by the broker after its consumer stopped, or tried again in
    /// process after a failure), the attempt is still the job's latest, and no worker has reported
    /// it since. A new message for a claimed attempt (a republish, a duplicate) never sends it.
    /// </summary>
    public async Task<bool> MayResendAsync(JobRow job, int attempt, ConsumeContext context, CancellationToken ct, bool handedOn = false) =>
        (handedOn || context.ReceiveContext.Redelivered || context.GetRetryAttempt() > 0)
        && job.Attempts == attempt
        && !(await ledger.GetAttemptsAsync(job.JobId, ct)).Any(a => a.Attempt == attempt);

    // Sends the attempt to the job's dispatch lane, where it waits in the broker for its turn, and
    // notes it in the ledger so the reconciler leaves it there. Sent first: a crash in between
    // leaves a job the reconciler re-drives (and the lane's delivery finds claimed), never one
    // noted in a lane with nothing on its way there.
    // A job handed on to another share's owner goes the same way, to that share's lane; one whose
    // attempt is to be sent again (resend) carries the right to send it there.
    private async Task DeferAsync(
        JobRow job, int attempt, IReadOnlySet<string> excluded, IReadOnlyList<string> chain, SentAttempts sent, ConsumeContext context, CancellationToken ct, string why, bool resend)
    {
        var lane = lanes.LaneOf(job.Tenant, job.BatchId);
        await shareSender.SendAsync(
            context,
            QueueNames.Lane(lane),
            shares.ShareOf(job.ModelGroup),
            new RetryCompletion(Guid.Parse(job.JobId), attempt, why, [.. excluded], chain, resend),
            c => IntakePriority.Apply(c, (int)job.Priority),
            $"job {job.JobId} to its dispatch lane",
            ct);

        // Handed on: the lane's delivery claims and sends the attempt from here. Should this
        // delivery be tried again (a later write failed), it must not send what it gave away.
        sent.Add(job.JobId);
        await ledger.MarkLanedAsync(job.JobId, attempt - 1, lane, ct);
        instrumentation.JobDeferred(job.ModelGroup);
    }

    /// <summary>
    /// Each group of the chain in turn, waiting in one only while it is short of quota; when
    /// every group is refused and some were held back only by open breakers, the job waits for
    /// the first of those to let probes through. With <paramref name="defer"/>, returns null
    /// instead of waiting.
    /// </summary>
    private async Task<RoutingDecision?> RouteAlongAsync(RoutingRequest request, IReadOnlyList<string> chain, FairKey place, bool defer, CancellationToken ct)
    {
        // A rule of the job's group may send it along another group's chain instead; the
        // decisions made there name that rule.
        if (rules.Sends)
        {
            chain = rules.Redirect(request, chain, out var sentBy);
            request = request with { SentBy = sentBy };
        }

        RoutingDecision? first = null;
        string? broken = null;
        foreach (var group in chain)
        {
            var routed = await gate.RouteAsync(request with { ModelGroup = group }, place, waitForBreakers: false, defer, ct);
            if (routed is not { } decision || decision.Deployment is not null)
            {
                return routed;
            }

            first ??= decision;
            broken ??= decision.BreakerRetryIn is null ? null : group;
        }

        return broken is null
            ? first ?? RoutingDecision.Refused("none", "no model group to route to")
            : await gate.RouteAsync(request with { ModelGroup = broken }, place, waitForBreakers: true, defer, ct);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
