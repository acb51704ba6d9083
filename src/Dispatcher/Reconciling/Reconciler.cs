using System.Globalization;
using Dispatcher.Catalog;
using Dispatcher.Consumers;
using Dispatcher.Contracts;
using Dispatcher.Dispatching;
using Dispatcher.Ledger;
using Dispatcher.Monitoring;
using Dispatcher.Retries;
using Dispatcher.ServiceDefaults.Messaging;
using Dispatcher.Standby;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dispatcher.Reconciling;

/// <summary>
/// The ledger is the source of truth: a job that has not ended while nothing works on it any
/// more (its attempt's message was lost with a crashed process, parked in an <c>_error</c> queue,
/// or never sent) is found here and re-driven through the normal flow.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>An attempt with no outcome once its lease is over (the worker may start it only within
/// <see cref="ReconcilerOptions.QueueAllowance"/> of its dispatch, then the call has the
/// deployment's timeout, then <see cref="ReconcilerOptions.ReportGrace"/>) gets a timeout outcome
/// of its own, sent to the outcome queue: its reservation is settled there once, and the group's
/// retry policy decides the next step. Should the worker's own report still come, the ledger takes
/// the first one; a late success still ends the job.</item>
/// <item>A job accepted but never sent, or waiting for a retry that never came back (longer than
/// the group's longest backoff), is sent back to routing (<see cref="RetryCompletion"/>); the
/// ledger's claim of the attempt keeps a second delivery from sending it twice.</item>
/// <item>A job that ended longer than <see cref="ReconcilerOptions.ReportGrace"/> ago without its
/// result event sent (the message that ended it was parked in an <c>_error</c> queue before the
/// event went out) gets its event published here, by the process routing its share.</item>
/// </list>
/// Each job is re-driven at most once per lease by each dispatcher. A standby reconciles too, and
/// from its first moment (a restarted dispatcher may have nothing else to consume): it only sends
/// messages, which the active dispatcher consumes, and the ledger takes an attempt's first report
/// and each claim of an attempt once, so two dispatchers re-driving one job cost nothing twice.
/// With several shares of the model groups, a job's messages go to its share's queues, where the
/// share's owner takes them.
/// </remarks>
internal sealed class Reconciler(
    JobLedger ledger,
    IBus bus,
    IOptions<ReconcilerOptions> options,
    IOptions<CatalogOptions> catalog,
    DispatcherInstrumentation instrumentation,
    TimeProvider time,
    ILogger<Reconciler> logger,
    IOptions<TransportOptions> transport,
    IOptions<IntakeOptions> intake,
    DispatchShares shares,
    DispatcherActivation activation,
    ResultPublisher results) : BackgroundService
{
    // Most jobs looked at in one pass; the rest wait for the next.
    private const int PassLimit = 5_000;

    private readonly Dictionary<string, DateTimeOffset> _redriven = new(StringComparer.Ordinal);

    // A job waiting in its dispatch lane is the lane's to send on: RabbitMQ keeps the lanes across
    // restarts; an in-memory lane holds only what this process sent to it.
    private readonly DateTimeOffset _lanesKeptSince = transport.Value.Kind == TransportKind.RabbitMq ? DateTimeOffset.MinValue : time.GetUtcNow();

    /// <summary>Runs one pass: finds the jobs nothing works on and re-drives them. Returns how many.</summary>
    public async Task<int> ReconcileAsync(CancellationToken ct)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        var idle = await ledger.ListIdleUnfinishedJobsAsync(now - settings.QueueAllowance - settings.ReportGrace, _lanesKeptSince, intake.Value.Lanes, PassLimit, ct);
        Forget(now - Lease(settings, null));
        var redriven = 0;
        foreach (var job in idle)
        {
            var key = Key(job);
            if (_redriven.ContainsKey(key) || await RedriveAsync(job, settings, now, abandoned: false, ct) is not ({ } missing, { } reason))
            {
                continue;
            }

            _redriven[key] = now;
            redriven++;
            instrumentation.JobRedriven(job.ModelGroup, missing);
            logger.LogWarning("Job {JobId} re-driven: {Reason}", job.JobId, reason);
        }

        return redriven + await PublishUnsentResultsAsync(now - settings.ReportGrace, ct);
    }

    // Ended jobs whose result event never went out: published by the process acting on the job's
    // share (the active dispatcher, with one share), under the publisher's own check that the event
    // is still unsent, so a standby never publishes beside it.
    private async Task<int> PublishUnsentResultsAsync(DateTimeOffset endedBefore, CancellationToken ct)
    {
        // A process acting on no share (a standby) would skip every job found: it does not look.
        if (!activation.IsActive)
        {
            return 0;
        }

        var published = 0;
        foreach (var (jobId, modelGroup) in await ledger.ListUnpublishedEndedJobsAsync(endedBefore, PassLimit, ct))
        {
            if (activation.EpochOf(shares.ShareOf(modelGroup)) is null)
            {
                continue;
            }

            await results.PublishIfUnsentAsync(jobId, bus, ct);
            published++;
            instrumentation.JobRedriven(modelGroup, "result");
            logger.LogWarning("Job {JobId} ended without its result sent; sent now", jobId);
        }

        return published;
    }

    /// <summary>
    /// Re-drives every unfinished job of <paramref name="batchId"/> at once, as the reconciler would
    /// once their leases ran out: for a batch whose process stopped (a killed embedded <c>run</c>),
    /// so nothing works on them any more, and the caller knows it. An attempt sent with no outcome
    /// ends as a timeout (the group's retry policy decides the next step); a job never sent, or
    /// waiting for a retry, is routed again. Returns how many jobs were re-driven.
    /// </summary>
    public async Task<int> RedriveBatchAsync(string batchId, CancellationToken ct)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        var redriven = 0;
        foreach (var job in await ledger.ListUnfinishedJobsAsync(batchId, ct))
        {
            if (await RedriveAsync(job, settings, now, abandoned: true, ct) is ({ } missing, _))
            {
                _redriven[Key(job)] = now;
                redriven++;
                instrumentation.JobRedriven(job.ModelGroup, missing);
            }
        }

        logger.LogInformation("Batch {BatchId}: {Count} unfinished jobs re-driven after the run that sent them stopped", batchId, redriven);
        return redriven;
    }

    /// <summary>
    /// Sends every job of <paramref name="batchId"/> put aside while it was paused back to routing,
    /// a page at a time (its backlog is never held in memory), as a job whose retry was lost is sent:
    /// its next attempt, along its group and fallbacks. Returns how many jobs were sent on.
    /// </summary>
    public async Task<int> RedriveParkedAsync(string batchId, CancellationToken ct)
    {
        const int page = 500;
        var after = "";
        var redriven = 0;
        while (true)
        {
            var parked = await ledger.ListParkedJobsAsync(batchId, after, page, ct);
            if (parked.Count == 0)
            {
                return redriven;
            }

            await Task.WhenAll(parked.Select(job => SendToRoutingAsync(job.JobId, job.ModelGroup, (int)job.Attempts + 1, $"batch {batchId} resumed", ct)));
            redriven += parked.Count;
            after = parked[^1].JobId;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await ReconcileAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The next pass looks again: nothing was re-driven that the ledger does not show.
                // (A timeout of the pass's own is such a failure too; only stopping ends the loop.)
                logger.LogWarning(e, "Reconciling unfinished jobs failed; trying again in {Interval}", options.Value.Interval);
            }
        }
    }

    // Puts the job back in the flow; returns what was missing and why, or nulls when the job has
    // not been idle long enough yet. An abandoned job is known to have nothing working on it, so
    // it goes back at once.
    private async Task<(string? Missing, string? Reason)> RedriveAsync(UnfinishedJob job, ReconcilerOptions settings, DateTimeOffset now, bool abandoned, CancellationToken ct)
    {
        var group = catalog.Value.Group(job.ModelGroup);
        var deployment = catalog.Value.Deployments.FirstOrDefault(d => d.Id == job.DeploymentId);
        if (job.State == JobState.Dispatched && job.Reported == 0 && job.DeploymentId is not null && job.DispatchedAt is not null)
        {
            var lease = Lease(settings, deployment);
            if (!abandoned && Parse(job.DispatchedAt) + lease > now)
            {
                return default;
            }

            var reason = abandoned
                ? $"attempt {job.Attempts} on {job.DeploymentId} abandoned: the run that sent it stopped before its outcome came back"
                : $"no outcome of attempt {job.Attempts} on {job.DeploymentId} within its lease of {lease.TotalSeconds:0.#} s";
            var outcomes = await bus.GetSendEndpoint(shares.Address(QueueNames.Outcomes, job.ModelGroup));
            await outcomes.Send(
                new CompletionAttempted(Guid.Parse(job.JobId), job.DeploymentId, (int)job.Attempts, ErrorKind.Timeout, null, null, null, 0, reason, QuotaSeq: job.QuotaSeq),
                ct).ConfirmedWithin(time, $"the timeout outcome of job {job.JobId}", ct);
            return ("outcome", reason);
        }

        // Queued and never sent, or reported and waiting for a retry that should have come back.
        var wait = job.State == JobState.Queued
            ? settings.QueueAllowance + settings.ReportGrace
            : Lease(settings, deployment) + TimeSpan.FromSeconds(group.Retry.MaxDelaySeconds);
        if (!abandoned && Parse(job.UpdatedAt) + wait > now)
        {
            return default;
        }

        var next = (int)job.Attempts + 1;
        var why = (job.State == JobState.Queued, abandoned) switch
        {
            (true, true) => "accepted and not sent before the run that accepted it stopped",
            (false, true) => $"attempt {job.Attempts} ended and its retry was lost when the run stopped",
            (true, false) => $"accepted and never sent for {wait.TotalSeconds:0.#} s",
            (false, false) => $"attempt {job.Attempts} ended and no retry came for {wait.TotalSeconds:0.#} s",
        };
        await SendToRoutingAsync(job.JobId, job.ModelGroup, next, why, ct);
        return (job.State == JobState.Queued ? "dispatch" : "retry", why);
    }

    // The job's next attempt, back to routing along its group and fallbacks, as a lost retry comes back.
    private async Task SendToRoutingAsync(string jobId, string modelGroup, int attempt, string why, CancellationToken ct)
    {
        var retries = await bus.GetSendEndpoint(shares.Address(QueueNames.Retries, modelGroup));
        await retries.Send(new RetryCompletion(Guid.Parse(jobId), attempt, why, [], [modelGroup, .. catalog.Value.Group(modelGroup).Fallbacks]), ct)
            .ConfirmedWithin(time, $"the re-drive of job {jobId}", ct);
    }

    // A job's current attempt: each is re-driven at most once per lease.
    private static string Key(UnfinishedJob job) => job.JobId + "#" + job.Attempts.ToString(CultureInfo.InvariantCulture);

    private static TimeSpan Lease(ReconcilerOptions settings, DeploymentOptions? deployment) =>
        settings.QueueAllowance + TimeSpan.FromSeconds(deployment?.TimeoutSeconds ?? 0) + settings.ReportGrace;

    // A job re-driven longer ago than a lease may be re-driven again, should it be stranded again.
    private void Forget(DateTimeOffset before)
    {
        foreach (var (key, at) in _redriven)
        {
            if (at < before)
            {
                _redriven.Remove(key);
            }
        }
    }

    private static DateTimeOffset Parse(string value) => DateTimeOffset.Parse(value, CultureInfo.InvariantCulture);
}
