using System.Globalization;
using System.Text.Json;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Ledger;
using Dispatcher.Monitoring;
using Dispatcher.Reservations;
using Dispatcher.Reconciling;
using Dispatcher.Routing;
using Dispatcher.ServiceDefaults.Messaging;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dispatcher.Dispatching;

/// <summary>
/// Sends a job's next attempt to the deployment routing picks, waiting for quota when every
/// deployment is spent, or ends the job when no deployment can take it. Shared by intake and
/// by the outcome flow (retries).
/// </summary>
public sealed class JobDispatch(
    DispatchGate gate,
    AttemptReservations reservations,
    SqliteLedger ledger,
    ResultPublisher results,
    IOptions<CatalogOptions> catalog,
    TimeProvider time,
    ILogger<JobDispatch> logger,
    DispatcherInstrumentation instrumentation,
    PackingSender<CompletionWork, CompletionWorkPack> workSender,
    IOptions<ReconcilerOptions> reconciler)
{
    /// <summary>
    /// Routes and sends attempt <paramref name="attempt"/> of <paramref name="job"/>, avoiding
    /// <paramref name="excluded"/> deployments, along <paramref name="groups"/> (the job's group
    /// and its fallback chain when null). With <paramref name="resend"/> the attempt was already
    /// claimed by a delivery that may have died before sending it, and it goes out again under a
    /// claim that replaces the one <paramref name="job"/> shows, whose reservation is given back,
    /// unless an earlier try of this very delivery sent it (<see cref="SentAttempts"/>).
    /// <paramref name="body"/> is the job's request body when the caller holds it already (the
    /// intake); otherwise it is read from the job's stored text.
    /// </summary>
    public async Task DispatchAsync(
        JobRow job,
        int attempt,
        IReadOnlySet<string> excluded,
        IReadOnlyList<string>? groups,
        bool resend,
        ConsumeContext context,
        CancellationToken ct,
        JsonElement? body = null)
    {
        var sent = SentAttempts.Of(context);
        if (resend && sent.Contains(job.JobId))
        {
            return;
        }

        using var activity = instrumentation.StartRoute(job, attempt);
        var request = new RoutingRequest(
            Guid.Parse(job.JobId),
            job.ModelGroup,
            (int)job.EstPromptTokens,
            (int)job.MaxTokens,
            job.Tenant,
            job.SessionKey,
            excluded,
            job.Endpoint);
        var deadline = job.Deadline is null ? (DateTimeOffset?)null : DateTimeOffset.Parse(job.Deadline, CultureInfo.InvariantCulture);
        var chain = groups ?? [job.ModelGroup, .. catalog.Value.Group(job.ModelGroup).Fallbacks];

        RoutingDecision decision;
        using (var waitLimit = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            if (deadline is { } d)
            {
                waitLimit.CancelAfter(Max(d - time.GetUtcNow(), TimeSpan.Zero));
            }

            try
            {
                decision = await RouteAlongAsync(request, chain, (int)job.Priority, waitLimit.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                await results.FailAsync(job, ErrorKind.DeadlineExceeded, $"deadline {deadline:O} passed while waiting for quota", null, attempt - 1, context, ct);
                return;
            }
        }

        DispatcherInstrumentation.Decided(activity, decision);
        if (decision.Deployment is null)
        {
            logger.LogWarning("Job {JobId} ({CustomId}) cannot be routed: {Reason}", job.JobId, job.CustomId, decision.Reason);
            await results.FailAsync(job, decision.RefusalKind, decision.Reason, null, attempt - 1, context, ct);
            return;
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
            job.Endpoint);

        // Mark, then send. The ledger then knows of every call that may have gone out, which a
        // restarted dispatcher counts against its quota windows. A crash or a failed send in
        // between leaves the job marked but perhaps unsent; the message that caused this dispatch
        // is then redelivered or tried again, and its consumer sends the attempt again.
        var replacing = resend ? job.QuotaSeq ?? 0 : (long?)null;
        var reservation = AttemptReservation.For(job, deployment, decision.ReservationSequence);
        try
        {
            if (!await ledger.MarkDispatchedAsync(job.JobId, deployment.Id, attempt, decision.ReservationSequence, decision.Reason, replacing, ct))
            {
                // Another delivery claimed this attempt first (or the job ended meanwhile): give back
                // what routing took for it.
                reservations.Release(reservation);
                return;
            }

            // The claim replaced holds a reservation that the attempt's outcome no longer settles.
            if (replacing is { } replaced && job.DeploymentId is { } previous
                && catalog.Value.Deployments.FirstOrDefault(d => d.Id == previous) is { } replacedOn)
            {
                reservations.ReleaseReplaced(AttemptReservation.For(job, replacedOn, replaced));
            }

            await workSender.SendAsync(new Uri("queue:" + QueueNames.Provider(deployment.Id)), work, ct);
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            // The claim or the send failed, so the attempt most likely never went out. The message
            // is tried again (or redelivered) and routes or resends the attempt under a reservation
            // of its own, so this one is given back.
            reservations.Release(reservation);
            throw;
        }

        sent.Add(job.JobId);
        instrumentation.JobRouted(deployment.Id, job.ModelGroup, decision.Strategy);
        instrumentation.JobFellBack(job.ModelGroup, deployment.ModelGroup);
        if (logger.IsEnabled(LogLevel.Debug))
        {
            logger.LogDebug("Job {JobId} attempt {Attempt} → {Deployment}: {Reason}", job.JobId, attempt, deployment.Id, decision.Reason);
        }
    }

    /// <summary>
    /// Whether the delivery <paramref name="context"/> sends attempt <paramref name="attempt"/> of
    /// <paramref name="job"/> again, the attempt being claimed already: only when this very message
    /// was handled before (redelivered by the broker after its consumer stopped, or tried again in
    /// process after a failure), the attempt is still the job's latest, and no worker has reported
    /// it since. A new message for a claimed attempt (a republish, a duplicate) never sends it.
    /// </summary>
    public async Task<bool> MayResendAsync(JobRow job, int attempt, ConsumeContext context, CancellationToken ct) =>
        (context.ReceiveContext.Redelivered || context.GetRetryAttempt() > 0)
        && job.Attempts == attempt
        && !(await ledger.GetAttemptsAsync(job.JobId, ct)).Any(a => a.Attempt == attempt);

    /// <summary>
    /// Each group of the chain in turn, waiting in one only while it is short of quota; when
    /// every group is refused and some were held back only by open breakers, the job waits for
    /// the first of those to let probes through.
    /// </summary>
    private async Task<RoutingDecision> RouteAlongAsync(RoutingRequest request, IReadOnlyList<string> chain, int priority, CancellationToken ct)
    {
        RoutingDecision? first = null;
        string? broken = null;
        foreach (var group in chain)
        {
            var decision = await gate.RouteAsync(request with { ModelGroup = group }, priority, waitForBreakers: false, ct);
            if (decision.Deployment is not null)
            {
                return decision;
            }

            first ??= decision;
            broken ??= decision.BreakerRetryIn is null ? null : group;
        }

        return broken is null
            ? first ?? RoutingDecision.Refused("none", "no model group to route to")
            : await gate.RouteAsync(request with { ModelGroup = broken }, priority, waitForBreakers: true, ct);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
