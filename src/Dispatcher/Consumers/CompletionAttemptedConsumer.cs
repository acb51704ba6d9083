using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Dispatching;
using Dispatcher.Ledger;
using Dispatcher.Lifecycle;
using Dispatcher.Monitoring;
using Dispatcher.Quotas;
using Dispatcher.Reservations;
using Dispatcher.Retries;
using Dispatcher.Routing;
using Dispatcher.ServiceDefaults.Messaging;
using Dispatcher.Standby;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dispatcher.Consumers;

/// <summary>
/// Takes a worker's report of one attempt (alone, or in a <see cref="CompletionAttemptedPack"/>
/// whose reports are handled side by side), settles its reservation (quota, spend, breaker),
/// feeds the latency tracker, and decides the job's next step: end it with its completion,
/// re-route it now (the fallback queue), retry it after a delay (the retry delay queues), or end
/// it as failed. Usage the provider reports beyond what the request allows (see
/// <see cref="UsageCeiling"/>) is bounded first, so the ledger, the result, its cost, the quota
/// and the spend caps all see the bounded figures. A success of a job this process sent is ended
/// from what <see cref="InFlightJobs"/> holds of it, without reading it back.
/// </summary>
public sealed class CompletionAttemptedConsumer(
    JobLedger ledger,
    ResultPublisher results,
    FailurePlanner planner,
    IRetryScheduler retries,
    AttemptReservations reservations,
    QuotaBook quotas,
    LatencyTracker latency,
    AdaptiveWeights adaptive,
    IOptions<CatalogOptions> catalog,
    DispatcherInstrumentation instrumentation,
    TimeProvider time,
    BatchControls controls,
    JobRoutes routes,
    SharedTenantBudgets sharedBudgets,
    DispatchShares shares,
    InFlightJobs inFlight,
    ILogger<CompletionAttemptedConsumer> logger) : IConsumer<CompletionAttempted>, IConsumer<CompletionAttemptedPack>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<CompletionAttempted> context) => HandleAsync(context.Message, context);

    /// <inheritdoc />
    public Task Consume(ConsumeContext<CompletionAttemptedPack> context)
    {
        var outcomes = context.Message.Outcomes ?? throw new InvalidSubmissionException("field outcomes: required, a list of outcomes");
        for (var i = 0; i < outcomes.Count; i++)
        {
            _ = outcomes[i] ?? throw new InvalidSubmissionException($"outcomes[{i}]: must be an outcome, got null");
        }

        var handling = new Task[outcomes.Count];
        for (var i = 0; i < outcomes.Count; i++)
        {
            handling[i] = HandleAsync(outcomes[i], context);
        }

        return Task.WhenAll(handling);
    }

    private async Task HandleAsync(CompletionAttempted outcome, ConsumeContext context)
    {
        var ct = context.CancellationToken;
        using var activity = instrumentation.StartOutcome(outcome);
        var jobId = outcome.JobId.ToString();
        var job = SentJob(outcome, jobId) ?? await ledger.GetJobAsync(jobId, ct)
            ?? throw new InvalidSubmissionException($"outcome for unknown job {jobId}");

        // A deployment no longer in the catalog holds nothing to settle and prices nothing. The
        // reservation is the one the outcome's own send made (an outcome from an older worker names
        // none: then the job's current claim's).
        var deployment = catalog.Value.Deployments.FirstOrDefault(d => d.Id == outcome.DeploymentId);
        var reservation = deployment is null ? (AttemptReservation?)null : AttemptReservation.For(job, deployment, outcome.QuotaSeq ?? job.QuotaSeq ?? 0);
        var reported = outcome.Usage;
        if (reservation is { } held && reported is not null)
        {
            outcome = outcome with { Usage = held.Ceiling.Bound(reported) };
        }

        var attempt = new AttemptRow
        {
            JobId = jobId,
            Attempt = outcome.Attempt,
            DeploymentId = outcome.DeploymentId,
            ErrorKind = outcome.Error.ToString(),
            StatusCode = outcome.StatusCode,
            Message = outcome.ErrorMessage,
            LatencyMs = outcome.LatencyMs,
            ProviderMs = outcome.ProviderMs,
            PromptTokens = outcome.Usage?.PromptTokens,
            CompletionTokens = outcome.Usage?.CompletionTokens,
            CachedTokens = outcome.Usage?.CachedPromptTokens,
        };

        // A tenant cap several dispatchers share is settled in the ledger with the first report.
        var settlement = reservation is { } claimed ? sharedBudgets.SettlementFor(claimed, outcome) : null;
        if (outcome.Error == ErrorKind.None && !JobState.IsTerminal(job.State))
        {
            // The report is recorded and the job ended in one ledger write.
            await results.SucceedAsync(
                job,
                attempt,
                settlement,
                new JobCompletion(
                    jobId,
                    true,
                    outcome.DeploymentId,
                    Math.Max(outcome.Attempt, (int)job.Attempts),
                    outcome.Response?.GetRawText(),
                    outcome.Usage?.PromptTokens,
                    outcome.Usage?.CompletionTokens,
                    deployment is null ? 0m : CostCalculator.Cost(deployment, outcome.Usage),
                    null,
                    null,
                    outcome.StatusCode,
                    outcome.RequestId,
                    outcome.LatencyMs),
                outcome.Response,
                firstReport => Recorded(firstReport, job, outcome, reported, reservation),
                context,
                ct);
            inFlight.Remove(jobId, outcome.Attempt);
            return;
        }

        Recorded(await ledger.RecordAttemptAsync(attempt, settlement, ct), job, outcome, reported, reservation);
        inFlight.Remove(jobId, outcome.Attempt);
        if (JobState.IsTerminal(job.State))
        {
            await results.PublishIfUnsentAsync(jobId, context, ct);
            return;
        }

        if (outcome.Attempt < job.Attempts)
        {
            // A report of an attempt already superseded: the job has moved on.
            return;
        }

        var history = await ledger.GetAttemptsAsync(jobId, ct);
        var routed = await routes.ChainAsync(job, [job.ModelGroup, .. catalog.Value.Group(job.ModelGroup).Fallbacks], ct);
        var next = planner.Plan(job, outcome, history, routed);

        // The job's batch was cancelled or expired while this attempt was under way: no new attempt
        // starts, so a job that would be tried again ends as the batch's now, rather than after its
        // retry delay. So does one the worker did not start because the batch's window had ended.
        if (next.Kind != NextStepKind.Fail || outcome.Error == ErrorKind.DeadlineExceeded)
        {
            var hold = await controls.CheckAsync(job.BatchId, fresh: false, ct);
            if (hold is BatchHold.Cancelled or BatchHold.Expired)
            {
                await results.EndForBatchAsync(job, BatchEnding.For(hold, job.BatchId), context, ct);
                return;
            }
        }

        var retry = new RetryCompletion(outcome.JobId, outcome.Attempt + 1, next.Reason, next.Excluded, next.ModelGroups);
        switch (next.Kind)
        {
            case NextStepKind.Fallback:
                instrumentation.JobRetried(outcome.DeploymentId, job.ModelGroup, outcome.Error);
                var fallbacks = await context.GetSendEndpoint(shares.Address(QueueNames.Fallbacks, job.ModelGroup));
                await fallbacks.Send(retry, ct).ConfirmedWithin(time, $"the fallback of job {jobId}", ct);
                break;
            case NextStepKind.Retry:
                instrumentation.JobRetried(outcome.DeploymentId, job.ModelGroup, outcome.Error);
                await retries.ScheduleAsync(retry, next.Delay, context, ct);
                if (outcome.RetryAfter > TimeSpan.Zero)
                {
                    // The job waits out the provider's pause: status counts it with the pause.
                    quotas.NoteRetryWaiting(outcome.DeploymentId, next.Delay);
                }

                break;
            default:
                await results.FailAsync(job, outcome.Error, next.Reason, outcome.StatusCode, outcome.Attempt, context, ct);
                break;
        }
    }

    // The job as this process sent it, for a success: its ending is the ledger's conditional write
    // to decide, so what is held is enough, and nothing is read back. Not for usage above the
    // completion tokens reserved, whose bound reads the body (UsageCeiling), nor for a failure,
    // whose next step depends on the job's state and history in the ledger.
    private JobRow? SentJob(CompletionAttempted outcome, string jobId) =>
        outcome.Error == ErrorKind.None && inFlight.Find(jobId) is { } sent && (outcome.Usage is not { } usage || usage.CompletionTokens <= sent.MaxTokens)
            ? sent
            : null;

    // What the recorded report settles: the attempt's reservation, its latency and its counts, on its
    // first report only. A repeated report settles nothing, unless the attempt was sent twice (a
    // redelivered message resent it under a reservation of its own) and the other send's report
    // came first: this call happened too, and its reservation has no other report to wait for.
    private void Recorded(bool firstReport, JobRow job, CompletionAttempted outcome, TokenUsage? reported, AttemptReservation? reservation)
    {
        if (firstReport)
        {
            if (!ReferenceEquals(reported, outcome.Usage))
            {
                UsageClamped(job, outcome, reported!);
            }

            Settle(reservation, outcome);
            instrumentation.AttemptReported(job.ModelGroup, outcome);
        }
        else if (reservation is { } resent && reservations.IsOpen(resent))
        {
            reservations.Settle(resent, outcome);
        }
    }

    // A provider that reports more than the request allows is telling us nothing true about it:
    // worth an operator's look every time, as each one was billed at the bound instead.
    private void UsageClamped(JobRow job, CompletionAttempted outcome, TokenUsage reported)
    {
        instrumentation.UsageClamped(outcome.DeploymentId, job.ModelGroup);
        logger.LogWarning(
            "Job {JobId} attempt {Attempt}: {Deployment} reported {PromptTokens} prompt and {CompletionTokens} completion tokens, more than the request allows; counted and billed as {BoundPromptTokens} and {BoundCompletionTokens}",
            job.JobId,
            outcome.Attempt,
            outcome.DeploymentId,
            reported.PromptTokens,
            reported.CompletionTokens,
            outcome.Usage?.PromptTokens,
            outcome.Usage?.CompletionTokens);
    }

    // The attempt's reservation is settled against what it really used (nothing, when it failed);
    // a deployment no longer in the catalog holds nothing to settle. Latency is no part of the
    // reservation: it is this deployment's speed, recorded here, as is its health for the adaptive weights.
    private void Settle(AttemptReservation? reservation, CompletionAttempted outcome)
    {
        if (reservation is { } held)
        {
            reservations.Settle(held, outcome);
        }

        if (outcome.Error == ErrorKind.None)
        {
            latency.RecordSuccess(outcome.DeploymentId, outcome.LatencyMs, outcome.Usage?.CompletionTokens ?? 0);
        }
        else if (outcome.Error == ErrorKind.Timeout)
        {
            latency.RecordTimeout(outcome.DeploymentId, outcome.LatencyMs);
        }

        // Only a deployment still in the catalog has a group to be weighed against.
        if (reservation is { } settled)
        {
            adaptive.Record(settled.Deployment, outcome.Error, outcome.ProviderMs ?? outcome.LatencyMs, outcome.Usage?.CompletionTokens ?? 0);
        }
    }
}
