using Dispatcher.Dispatching;
using Dispatcher.Ledger;
using Dispatcher.Retries;
using MassTransit;

namespace Dispatcher.Consumers;

/// <summary>
/// Routes a job's next attempt when it comes back from a retry delay queue, off the fallback
/// queue, or off its dispatch lane. Only one delivery sends a given attempt: the ledger claims it; a redelivery of the
/// message whose consumer may have died between claiming and sending sends it again, and so does
/// a retry of the message after its send failed.
/// </summary>
public sealed class RetryCompletionConsumer(JobLedger ledger, JobDispatch dispatch, ResultPublisher results, DispatchLanes lanes) : IConsumer<RetryCompletion>
{
    /// <inheritdoc />
    public async Task Consume(ConsumeContext<RetryCompletion> context)
    {
        var retry = context.Message;
        var ct = context.CancellationToken;
        var jobId = retry.JobId.ToString();
        var job = await ledger.GetJobAsync(jobId, ct)
            ?? throw new InvalidSubmissionException($"retry for unknown job {jobId}");
        if (JobState.IsTerminal(job.State))
        {
            await results.PublishIfUnsentAsync(jobId, context, ct);
            return;
        }

        var resend = false;
        if (job.Attempts >= retry.Attempt)
        {
            // Already claimed: sent again only by this very message, handled before.
            if (!await dispatch.MayResendAsync(job, retry.Attempt, context, ct, handedOn: retry.Resend))
            {
                return;
            }

            resend = true;
        }
        else if (job.Attempts != retry.Attempt - 1)
        {
            return;
        }

        // A job off a dispatch lane waits for its turn here; one off the retry or fallback queue
        // that would wait goes to its lane instead, behind nobody else's backlog.
        var lane = DispatchLanes.LaneOf(context.ReceiveContext.InputAddress);
        lanes.Touch(job.Tenant, job.BatchId, lane);
        await dispatch.DispatchAsync(job, retry.Attempt, retry.Excluded.ToHashSet(StringComparer.Ordinal), retry.ModelGroups, resend, mayDefer: lane < 0, context, ct);
    }
}
