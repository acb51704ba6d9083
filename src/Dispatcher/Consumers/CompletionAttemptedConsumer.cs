using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Dispatching;
using Dispatcher.Ledger;
using Dispatcher.Monitoring;
using Dispatcher.Reservations;
using Dispatcher.Retries;
using Dispatcher.Routing;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Dispatcher.Consumers;

/// <summary>
/// Takes a worker's report of one attempt (alone, or in a <see cref="CompletionAttemptedPack"/>
/// whose reports are handled side by side), settles its reservation (quota, spend, breaker),
/// feeds the latency tracker, and decides the job's next step: end it with its completion,
/// re-route it now (the fallback queue), retry it after a delay (the retry delay queues), or end
/// it as failed.
/// </summary>
public sealed class CompletionAttemptedConsumer(
    SqliteLedger ledger,
    ResultPublisher results,
    FailurePlanner planner,
    IRetryScheduler retries,
    AttemptReservations reservations,
    LatencyTracker latency,
    IOptions<CatalogOptions> catalog,
    DispatcherInstrumentation instrumentation) : IConsumer<CompletionAttempted>, IConsumer<CompletionAttemptedPack>
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
        var job = await ledger.GetJobAsync(jobId, ct)
            ?? throw new InvalidSubmissionException($"outcome for unknown job {jobId}");

        var firstReport = await ledger.RecordAttemptAsync(
            new AttemptRow
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
            },
            ct);

        if (firstReport)
        {
            Settle(job, outcome);
            instrumentation.AttemptReported(job.ModelGroup, outcome);
        }

        if (JobState.IsTerminal(job.State))
        {
            await results.PublishIfUnsentAsync(jobId, context, ct);
            return;
        }

        if (outcome.Error == ErrorKind.None)
        {
            var deployment = catalog.Value.Deployments.FirstOrDefault(d => d.Id == outcome.DeploymentId);
            await results.SucceedAsync(
                job,
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
                context,
                ct);
            return;
        }

        if (outcome.Attempt < job.Attempts)
        {
            // A report of an attempt already superseded: the job has moved on.
            return;
        }

        var history = await ledger.GetAttemptsAsync(jobId, ct);
        var next = planner.Plan(job, outcome, history);
        var retry = new RetryCompletion(outcome.JobId, outcome.Attempt + 1, next.Reason, next.Excluded, next.ModelGroups);
        switch (next.Kind)
        {
            case NextStepKind.Fallback:
                instrumentation.JobRetried(outcome.DeploymentId, job.ModelGroup, outcome.Error);
                var fallbacks = await context.GetSendEndpoint(new Uri("exchange:" + QueueNames.Fallbacks));
                await fallbacks.Send(retry, ct);
                break;
            case NextStepKind.Retry:
                instrumentation.JobRetried(outcome.DeploymentId, job.ModelGroup, outcome.Error);
                await retries.ScheduleAsync(retry, next.Delay, context, ct);
                break;
            default:
                await results.FailAsync(job, outcome.Error, next.Reason, outcome.StatusCode, outcome.Attempt, context, ct);
                break;
        }
    }

    // The attempt's reservation is settled against what it really used (nothing, when it failed);
    // a deployment no longer in the catalog holds nothing to settle. Latency is no part of the
    // reservation: it is this deployment's speed, recorded here.
    private void Settle(JobRow job, CompletionAttempted outcome)
    {
        if (catalog.Value.Deployments.FirstOrDefault(d => d.Id == outcome.DeploymentId) is { } deployment)
        {
            reservations.Settle(AttemptReservation.For(job, deployment, job.QuotaSeq ?? 0), outcome);
        }

        if (outcome.Error == ErrorKind.None)
        {
            latency.RecordSuccess(outcome.DeploymentId, outcome.LatencyMs, outcome.Usage?.CompletionTokens ?? 0);
        }
        else if (outcome.Error == ErrorKind.Timeout)
        {
            latency.RecordTimeout(outcome.DeploymentId, outcome.LatencyMs);
        }
    }
}
