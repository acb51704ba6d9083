using Dispatcher.Breakers;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Dispatching;
using Dispatcher.Ledger;
using Dispatcher.Monitoring;
using Dispatcher.Quotas;
using Dispatcher.Retries;
using Dispatcher.Routing;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Dispatcher.Consumers;

/// <summary>
/// Takes a worker's report of one attempt (alone, or in a <see cref="CompletionAttemptedPack"/>
/// whose reports are handled side by side), settles its quota and feeds the breaker gate, and
/// decides the job's next step: end it with its completion, re-route it now (the fallback
/// queue), retry it after a delay (the retry delay queues), or end it as failed.
/// </summary>
public sealed class CompletionAttemptedConsumer(
    SqliteLedger ledger,
    ResultPublisher results,
    FailurePlanner planner,
    IRetryScheduler retries,
    DeploymentBreakers breakers,
    QuotaBook quotas,
    SpendBook spend,
    LatencyTracker latency,
    IOptions<CatalogOptions> catalog,
    DispatcherInstrumentation instrumentation) : IConsumer<CompletionAttempted>, IConsumer<CompletionAttemptedPack>
{
    private const double MaxCallDurationMs = 24 * 60 * 60 * 1000.0; // a day

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

    // The attempt's reservation is settled against what it really used (nothing, when it failed),
    // counted in the windows from when the provider received the call at the latest, and the
    // provider's own rate-limit signals correct the deployment's buckets.
    private void Settle(JobRow job, CompletionAttempted outcome)
    {
        var reserved = (int)(job.EstPromptTokens + job.MaxTokens);
        var used = outcome.Error == ErrorKind.None ? outcome.Usage?.TotalTokens ?? reserved : 0;
        quotas.Settle(outcome.DeploymentId, job.QuotaSeq ?? 0, reserved, used, Timing(outcome), outcome.RateLimit, outcome.RetryAfter);
        if (catalog.Value.Deployments.FirstOrDefault(d => d.Id == outcome.DeploymentId) is { } deployment)
        {
            spend.Settle(
                deployment,
                job.Tenant,
                CostCalculator.Cost(deployment, job.EstPromptTokens, job.MaxTokens),
                outcome.Error == ErrorKind.None ? CostCalculator.Cost(deployment, outcome.Usage) : 0m);
        }

        breakers.Record(outcome.DeploymentId, outcome.Error);
        if (outcome.Error == ErrorKind.None)
        {
            latency.RecordSuccess(outcome.DeploymentId, outcome.LatencyMs, outcome.Usage?.CompletionTokens ?? 0);
        }
        else if (outcome.Error == ErrorKind.Timeout)
        {
            latency.RecordTimeout(outcome.DeploymentId, outcome.LatencyMs);
        }
    }

    // The worker's measures of the call, as durations: one that is not a positive number of
    // milliseconds is none; the window never counts a call from before its reservation anyway,
    // so a day is as good as any longer figure (and TimeSpan cannot hold every double).
    internal static CallTiming Timing(CompletionAttempted outcome) =>
        new(Duration(outcome.LatencyMs), outcome.ProviderMs is { } ms && ms >= 0 ? Duration(ms) : null);

    private static TimeSpan Duration(double ms) => ms > 0 ? TimeSpan.FromMilliseconds(Math.Min(ms, MaxCallDurationMs)) : TimeSpan.Zero;
}
