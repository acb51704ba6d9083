using System.Text.Json;
using Dispatcher.Contracts;
using Dispatcher.Ledger;
using Dispatcher.Lifecycle;
using Dispatcher.Monitoring;
using Dispatcher.ServiceDefaults.Messaging;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Dispatcher.Dispatching;

/// <summary>
/// Ends jobs in the ledger and publishes their result events. The ledger write comes first and
/// is conditional, so only one delivery ends a job; the event goes out after it and is marked
/// sent, so a redelivery after a crash re-sends an unsent event and never a sent one twice.
/// Events go out through the consume context of the message being handled, or through the bus
/// when no message is (a retry timer that gives up).
/// </summary>
public sealed class ResultPublisher(JobLedger ledger, TimeProvider time, DispatcherInstrumentation instrumentation, IOptions<TransportOptions> transport)
{
    // Two reports of one job (a redelivered work item) can arrive together; a job's check,
    // publish and mark run under one of these locks so they cannot both publish.
    private readonly SemaphoreSlim[] _stripes = Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1)).ToArray();

    /// <summary>
    /// Ends a job as failed and publishes <see cref="CompletionFailed"/>; under a share's
    /// <paramref name="fence"/> when routing decided the ending (<see cref="JobLedger.CompleteAsync(JobCompletion, ShareFence?, CancellationToken)"/>).
    /// Returns whether this call ended the job: false when it had ended before (its result is
    /// published if it was not yet) or the fence refused the ending.
    /// </summary>
    public async Task<bool> FailAsync<TPublisher>(JobRow job, ErrorKind error, string message, int? statusCode, int attempts, TPublisher publisher, CancellationToken ct, ShareFence? fence = null)
        where TPublisher : IPublishEndpoint, ISendEndpointProvider
    {
        var ended = await ledger.CompleteAsync(
            new JobCompletion(job.JobId, false, job.DeploymentId, attempts, null, null, null, 0m, error.ToString(), message, statusCode, null, null),
            fence,
            ct);
        await PublishIfUnsentAsync(job.JobId, publisher, ct);
        return ended;
    }

    /// <summary>
    /// Ends <paramref name="job"/> as its batch's <paramref name="ending"/> (cancelled or expired) when
    /// no attempt of it is under way, and publishes its result; a job whose attempt is under way is
    /// left to finish it. Returns whether the job is ended now (by this call or before).
    /// </summary>
    public async Task<bool> EndForBatchAsync<TPublisher>(JobRow job, BatchEnding ending, TPublisher publisher, CancellationToken ct)
        where TPublisher : IPublishEndpoint, ISendEndpointProvider
    {
        if (ending.Kind == ErrorKind.BatchExpired && job.BatchId is { } batchId)
        {
            // The window may have ended a moment ago and the batch not yet been marked expired
            // (BatchExpiry looks every second): marked now, it reads expired even when its last
            // jobs end this way, before it would be looked at.
            await ledger.MarkBatchExpiredAsync(batchId, ct);
        }

        if (!await ledger.EndUnstartedJobAsync(job.JobId, ending.Kind, ending.Message, ct))
        {
            var now = await ledger.GetJobAsync(job.JobId, ct);
            if (now is null || !JobState.IsTerminal(now.State))
            {
                return false;
            }
        }

        await PublishIfUnsentAsync(job.JobId, publisher, ct);
        return true;
    }

    /// <summary>
    /// Records <paramref name="attempt"/>, the successful attempt's report, ends <paramref name="job"/>
    /// with its completion in the same ledger write (settling <paramref name="settlement"/>, a tenant
    /// cap shared through the ledger, with a first report), and publishes <see cref="CompletionSucceeded"/>.
    /// <paramref name="recorded"/> is told, once that write committed and before anything is
    /// published, whether this was the attempt's first report (what is settled on it is settled then,
    /// even when the publish fails). The delivery that ends the job publishes from what it holds,
    /// without reading the job back.
    /// </summary>
    public async Task SucceedAsync(JobRow job, AttemptRow attempt, SpendSettlement? settlement, JobCompletion completion, JsonElement? response, Action<bool> recorded, ConsumeContext publisher, CancellationToken ct)
    {
        var stripe = Stripe(completion.JobId);
        await stripe.WaitAsync(ct);
        try
        {
            var (firstReport, ended) = await ledger.RecordSuccessAsync(attempt, settlement, completion, ct);
            recorded(firstReport);
            if (!ended)
            {
                // Another delivery ended it first; its event may still be unsent.
                await PublishUnderLockAsync(completion.JobId, publisher, ct);
                return;
            }

            await PublishSucceededAsync(
                job,
                completion.DeploymentId,
                completion.Attempts,
                response ?? EmptyResponse,
                completion.PromptTokens,
                completion.CompletionTokens,
                completion.Cost,
                completion.LatencyMs,
                completion.RequestId,
                publisher,
                ct);
            await ledger.MarkResultPublishedAsync(completion.JobId, ct);
            instrumentation.JobSucceeded(completion.DeploymentId ?? "", job.ModelGroup);
        }
        finally
        {
            stripe.Release();
        }
    }

    /// <summary>Publishes the result of an ended job unless it was already published.</summary>
    public async Task PublishIfUnsentAsync<TPublisher>(string jobId, TPublisher publisher, CancellationToken ct)
        where TPublisher : IPublishEndpoint, ISendEndpointProvider
    {
        var stripe = Stripe(jobId);
        await stripe.WaitAsync(ct);
        try
        {
            await PublishUnderLockAsync(jobId, publisher, ct);
        }
        finally
        {
            stripe.Release();
        }
    }

    private static readonly JsonElement EmptyResponse = JsonElement.Parse("{}");

    private SemaphoreSlim Stripe(string jobId) => _stripes[(uint)StringComparer.Ordinal.GetHashCode(jobId) % (uint)_stripes.Length];

    private async Task PublishUnderLockAsync<TPublisher>(string jobId, TPublisher publisher, CancellationToken ct)
        where TPublisher : IPublishEndpoint, ISendEndpointProvider
    {
        var job = await ledger.GetJobAsync(jobId, ct);
        if (job is null || !JobState.IsTerminal(job.State) || job.ResultPublished != 0)
        {
            return;
        }

        if (job.State == JobState.Succeeded)
        {
            using var response = JsonDocument.Parse(job.Response ?? "{}");
            await PublishSucceededAsync(
                job,
                job.DeploymentId,
                (int)job.Attempts,
                response.RootElement,
                (int?)job.PromptTokens,
                (int?)job.CompletionTokens,
                job.Cost ?? 0m,
                job.LatencyMs,
                job.RequestId,
                publisher,
                ct);
        }
        else
        {
            var history = await ledger.GetAttemptsAsync(jobId, ct);
            var failed = new CompletionFailed(
                    Guid.Parse(job.JobId),
                    job.BatchId,
                    job.CustomId,
                    job.ModelGroup,
                    Enum.TryParse<ErrorKind>(job.ErrorKind, out var kind) ? kind : ErrorKind.ServerError,
                    job.ErrorMessage ?? "",
                    (int?)job.StatusCode,
                    history.Select(a => new AttemptRecord(
                        (int)a.Attempt,
                        a.DeploymentId,
                        Enum.TryParse<ErrorKind>(a.ErrorKind, out var k) ? k : ErrorKind.ServerError,
                        (int?)a.StatusCode,
                        a.Message,
                        a.LatencyMs)).ToArray(),
                    time.GetUtcNow());
            await publisher.Publish(failed, ct).ConfirmedWithin(time, $"the failed result of job {jobId}", ct);

            // The dead-letter queue keeps every terminal failure for operators to list and replay.
            var deadLetters = await publisher.GetSendEndpoint(transport.Value.SendAddress(QueueNames.DeadLetters));
            await deadLetters.Send(failed, ct).ConfirmedWithin(time, $"the dead letter of job {jobId}", ct);
            instrumentation.JobDeadLettered(job.ModelGroup, failed.Error);
        }

        await ledger.MarkResultPublishedAsync(jobId, ct);
        instrumentation.JobEnded(job);
    }

    private Task PublishSucceededAsync(
        JobRow job,
        string? deploymentId,
        int attempts,
        JsonElement response,
        int? promptTokens,
        int? completionTokens,
        decimal cost,
        double? latencyMs,
        string? requestId,
        IPublishEndpoint publisher,
        CancellationToken ct) =>
        publisher.Publish(
            new CompletionSucceeded(
                Guid.Parse(job.JobId),
                job.BatchId,
                job.CustomId,
                job.ModelGroup,
                deploymentId ?? "",
                attempts,
                response,
                promptTokens is { } prompt ? new TokenUsage(prompt, completionTokens ?? 0) : null,
                cost,
                latencyMs ?? 0,
                requestId,
                time.GetUtcNow()),
            ct).ConfirmedWithin(time, $"the result of job {job.JobId}", ct);
}
