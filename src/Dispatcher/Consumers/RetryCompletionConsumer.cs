using Dispatcher.Dispatching;
using Dispatcher.Ledger;
using Dispatcher.Retries;
using MassTransit;

namespace Dispatcher.Consumers;

/// <summary>
/// Routes a job's next attempt when it comes back from a retry delay queue or off the fallback
/// queue. Only one delivery sends a given attempt: the ledger claims it; a redelivery of the
/// message whose consumer may have died between claiming and sending sends it again, and so does
/// a retry of the message after its send failed.
/// </summary>
public sealed class RetryCompletionConsumer(SqliteLedger ledger, JobDispatch dispatch, ResultPublisher results) : IConsumer<RetryCompletion>
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
            if (!await dispatch.MayResendAsync(job, retry.Attempt, context, ct))
            {
                return;
            }

            resend = true;
        }
        else if (job.Attempts != retry.Attempt - 1)
        {
            return;
        }

        await dispatch.DispatchAsync(job, retry.Attempt, retry.Excluded.ToHashSet(StringComparer.Ordinal), retry.ModelGroups, resend, context, ct);
    }
}
