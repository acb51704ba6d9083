using Dispatcher.Contracts;
using Dispatcher.Dispatching;
using Dispatcher.Ledger;
using MassTransit;

namespace Dispatcher.Consumers;

/// <summary>
/// Runs a failed job again through the normal pipeline: the ledger reopens it with a fresh
/// allowance of attempts (its history kept), and it is routed like a new job. A job that has
/// not failed is left alone, so replaying twice, or replaying a job that since succeeded, is harmless.
/// A request handled again after it claimed the job's first attempt sends that attempt again if no
/// worker has reported it, as <see cref="RetryCompletionConsumer"/> does.
/// </summary>
public sealed class ReplayCompletionConsumer(JobLedger ledger, JobDispatch dispatch) : IConsumer<ReplayCompletion>
{
    /// <inheritdoc />
    public async Task Consume(ConsumeContext<ReplayCompletion> context)
    {
        var ct = context.CancellationToken;
        var jobId = context.Message.JobId.ToString();
        var job = await ledger.GetJobAsync(jobId, ct)
            ?? throw new InvalidSubmissionException($"replay of unknown job {jobId}");
        if (job.State == JobState.Failed)
        {
            job = await ledger.ReopenAsync(jobId, ct);
        }

        // Reopened (now or by an earlier delivery of this request) and not yet sent on.
        if (job is { State: JobState.Queued } && job.Attempts == job.AttemptBase)
        {
            await dispatch.DispatchAsync(job, (int)job.Attempts + 1, new HashSet<string>(), null, resend: false, mayDefer: false, context, ct);
        }
        else if (job is { State: JobState.Dispatched } && job.Attempts == job.AttemptBase + 1
            && await dispatch.MayResendAsync(job, (int)job.Attempts, context, ct))
        {
            // Its first attempt was claimed by this request when it was handled before, which then
            // stopped or failed, and no worker has reported the attempt since: it goes out again.
            await dispatch.DispatchAsync(job, (int)job.Attempts, new HashSet<string>(), null, resend: true, mayDefer: false, context, ct);
        }
    }
}
