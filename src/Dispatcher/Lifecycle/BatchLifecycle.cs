using Dispatcher.Dispatching;
using Dispatcher.Ledger;
using Dispatcher.Reconciling;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Dispatcher.Lifecycle;

/// <summary>
/// The owner of a batch's transitions as a whole: pause, resume, cancel and expire. Each is
/// recorded in the ledger first (so every dispatcher, a restarted one and a standby see it), then
/// this process's view is refreshed (which wakes the batch's jobs waiting for quota), then the work
/// the transition leaves is done: the jobs a cancel or expiry ended get their result events, and a
/// resume sends the jobs put aside back to routing. Each step can be repeated harmlessly, so a
/// command delivered again after a crash finishes what the first delivery began.
/// </summary>
internal sealed class BatchLifecycle(
    JobLedger ledger,
    BatchControls controls,
    ResultPublisher results,
    Reconciler reconciler,
    ILogger<BatchLifecycle> logger)
{
    // Result events published side by side while a cancelled batch's jobs are announced.
    private const int PublishPage = 64;

    /// <summary>
    /// Ends a batch as cancelled or expired (<paramref name="hold"/>): no new attempt of it starts,
    /// every job of it with no attempt under way ends failed now, and the attempts under way finish
    /// (a success is kept; a failure ends the job as the batch's). Returns false for a batch that had
    /// ended already (every job ended, or cancelled or expired before) or is unknown. The result
    /// events go out through <paramref name="publisher"/>: the consume context of the command being
    /// handled, or the bus when the command came some other way (a request in the ledger).
    /// </summary>
    public async Task<bool> EndAsync<TPublisher>(string batchId, BatchHold hold, string? reason, TPublisher publisher, CancellationToken ct)
        where TPublisher : IPublishEndpoint, ISendEndpointProvider
    {
        var control = hold == BatchHold.Cancelled ? BatchControl.Cancelled : BatchControl.Expired;
        var ending = BatchEnding.For(hold, batchId);
        var message = string.IsNullOrWhiteSpace(reason) ? ending.Message : $"{ending.Message}: {reason}";
        var (ended, jobs) = await ledger.EndBatchAsync(batchId, control, ending.Kind, message, string.IsNullOrWhiteSpace(reason) ? null : reason, ct);
        await controls.CheckAsync(batchId, fresh: true, ct);
        if (!ended)
        {
            logger.LogInformation("Batch {BatchId} not {Control}: it is unknown, or it ended already", batchId, control);
            return false;
        }

        if (jobs > 0)
        {
            logger.LogInformation("Batch {BatchId} {Control}: {Jobs} jobs not under way ended as {Kind}; attempts under way finish", batchId, control, jobs, ending.Kind);
        }

        await PublishEndedAsync(batchId, publisher, ct);
        return true;
    }

    /// <summary>Pauses a running batch; returns false when it was not running (unknown, ended, paused already).</summary>
    public async Task<bool> PauseAsync(string batchId, CancellationToken ct)
    {
        var paused = await ledger.PauseBatchAsync(batchId, ct);
        await controls.CheckAsync(batchId, fresh: true, ct);
        if (paused)
        {
            logger.LogInformation("Batch {BatchId} paused: no new attempt of it starts until it is resumed", batchId);
        }

        return paused;
    }

    /// <summary>
    /// Resumes a paused batch and sends the jobs it put aside back to routing. The jobs are sent
    /// again also when the batch was resumed already (by an earlier delivery of this command that
    /// stopped half-way); the ledger's claim of each attempt keeps any from being sent twice.
    /// Returns how many jobs went back to routing.
    /// </summary>
    public async Task<int> ResumeAsync(string batchId, CancellationToken ct)
    {
        var resumed = await ledger.ResumeBatchAsync(batchId, ct);
        if (await controls.CheckAsync(batchId, fresh: true, ct) == BatchHold.Paused)
        {
            return 0;
        }

        var redriven = await reconciler.RedriveParkedAsync(batchId, ct);
        if (resumed || redriven > 0)
        {
            logger.LogInformation("Batch {BatchId} resumed: {Jobs} jobs put aside while it was paused go back to routing", batchId, redriven);
        }

        return redriven;
    }

    // Every job of the batch that ended without its result event going out gets it now, a page at
    // a time, so a batch of any size is announced without holding it in memory.
    private async Task PublishEndedAsync<TPublisher>(string batchId, TPublisher publisher, CancellationToken ct)
        where TPublisher : IPublishEndpoint, ISendEndpointProvider
    {
        var after = "";
        while (true)
        {
            var page = await ledger.ListUnpublishedEndedJobsAsync(batchId, after, PublishPage, ct);
            if (page.Count == 0)
            {
                return;
            }

            await Task.WhenAll(page.Select(jobId => results.PublishIfUnsentAsync(jobId, publisher, ct)));
            after = page[^1];
        }
    }
}
