using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Dispatching;
using Dispatcher.Ledger;
using Dispatcher.Monitoring;
using Dispatcher.Quotas;
using Dispatcher.Routing;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Dispatcher.Consumers;

/// <summary>
/// Takes a worker's report of one attempt and decides the job's next step: end it with its
/// completion, try again elsewhere, or end it as failed.
/// </summary>
public sealed class CompletionAttemptedConsumer(
    SqliteLedger ledger,
    JobDispatch dispatch,
    ResultPublisher results,
    DeploymentRouter router,
    QuotaBook quotas,
    SpendBook spend,
    LatencyTracker latency,
    IOptions<CatalogOptions> catalog,
    DispatcherInstrumentation instrumentation) : IConsumer<CompletionAttempted>
{
    /// <inheritdoc />
    public async Task Consume(ConsumeContext<CompletionAttempted> context)
    {
        var outcome = context.Message;
        var ct = context.CancellationToken;
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
                context,
                ct);
            return;
        }

        if (outcome.Attempt < job.Attempts)
        {
            // This failure was already acted on: the next attempt is marked sent. Unless this
            // is a redelivery of the very report that caused it (the process may have died
            // between marking and sending), it is an older, superseded report.
            if (!firstReport && outcome.Attempt + 1 == job.Attempts)
            {
                await dispatch.DispatchAsync(job, (int)job.Attempts, await UntriedElsewhereAsync(job, ct), context, ct);
            }

            return;
        }

        var group = catalog.Value.Group(job.ModelGroup);
        if (IsRetryable(outcome.Error) && outcome.Attempt < group.MaxAttempts)
        {
            instrumentation.JobRetried(outcome.DeploymentId, job.ModelGroup, outcome.Error);
            await dispatch.DispatchAsync(job, outcome.Attempt + 1, await UntriedElsewhereAsync(job, ct), context, ct);
            return;
        }

        var why = outcome.Attempt >= group.MaxAttempts && IsRetryable(outcome.Error)
            ? $"gave up after {outcome.Attempt} attempt(s): {outcome.ErrorMessage}"
            : outcome.ErrorMessage ?? outcome.Error.ToString();
        await results.FailAsync(job, outcome.Error, why, outcome.StatusCode, outcome.Attempt, context, ct);
    }

    // The attempt's reservation is settled against what it really used (nothing, when it failed),
    // and the provider's own rate-limit signals correct the deployment's buckets.
    private void Settle(JobRow job, CompletionAttempted outcome)
    {
        var reserved = (int)(job.EstPromptTokens + job.MaxTokens);
        var used = outcome.Error == ErrorKind.None ? outcome.Usage?.TotalTokens ?? reserved : 0;
        quotas.Settle(outcome.DeploymentId, job.QuotaSeq ?? 0, reserved, used, outcome.RateLimit, outcome.RetryAfter);
        if (catalog.Value.Deployments.FirstOrDefault(d => d.Id == outcome.DeploymentId) is { } deployment)
        {
            spend.Settle(
                deployment,
                job.Tenant,
                CostCalculator.Cost(deployment, job.EstPromptTokens, job.MaxTokens),
                outcome.Error == ErrorKind.None ? CostCalculator.Cost(deployment, outcome.Usage) : 0m);
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

    /// <summary>Whether another attempt may succeed where this one failed.</summary>
    public static bool IsRetryable(ErrorKind error) => error is
        ErrorKind.RateLimited or ErrorKind.Timeout or ErrorKind.ServerError or ErrorKind.ConnectionFailed
        or ErrorKind.MalformedResponse or ErrorKind.CircuitOpen or ErrorKind.Authentication;

    // Prefer deployments this job has not failed on, in its group and then along the fallback
    // chain; when it has failed on all of them, any may retry.
    private async Task<IReadOnlySet<string>> UntriedElsewhereAsync(JobRow job, CancellationToken ct)
    {
        var attempts = await ledger.GetAttemptsAsync(job.JobId, ct);
        var tried = attempts.Where(a => a.ErrorKind != nameof(ErrorKind.None)).Select(a => a.DeploymentId).ToHashSet(StringComparer.Ordinal);
        var reachable = catalog.Value.Group(job.ModelGroup).Fallbacks.Prepend(job.ModelGroup).SelectMany(router.DeploymentsOf);
        return reachable.All(d => tried.Contains(d.Id)) ? new HashSet<string>() : tried;
    }
}
