using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Dispatching;
using Dispatcher.Ledger;
using Dispatcher.Monitoring;
using Dispatcher.Routing;
using Dispatcher.Standby;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Dispatcher.Consumers;

/// <summary>
/// Takes jobs off the intake, one per message or a chunk of them (<see cref="SubmitCompletions"/>):
/// records each in the ledger (once per job id and per batch + custom id), then sends its first
/// attempt to a deployment. The jobs of a chunk go through the ledger and routing together, so
/// their ledger writes share commits. With several active dispatchers, the jobs taken off the shared
/// intake that another process routes are handed to it first, unrecorded (<see cref="ShareIntake"/>).
/// </summary>
public sealed class SubmitCompletionConsumer(
    JobLedger ledger,
    JobDispatch dispatch,
    ResultPublisher results,
    PromptEstimates estimates,
    IOptions<CatalogOptions> catalog,
    TimeProvider time,
    DispatcherInstrumentation instrumentation,
    ShareIntake shareIntake) : IConsumer<SubmitCompletion>, IConsumer<SubmitCompletions>
{
    /// <summary>The highest priority a job may carry; the lowest is its negation.</summary>
    public const int MaxPriority = 1000;

    /// <inheritdoc />
    public Task Consume(ConsumeContext<SubmitCompletion> context)
    {
        // A plain JSON body reaches both of this consumer's message types; a chunk's is the
        // other one's to take.
        if (context.Message.CustomId is null && context.TryGetMessage<SubmitCompletions>(out var chunk) && chunk.Message.Jobs is not null)
        {
            return Task.CompletedTask;
        }

        Validate(context.Message, where: "");
        var jobId = context.Message.JobId != Guid.Empty ? context.Message.JobId : context.MessageId ?? StableId(context.Message);
        return shareIntake.HandsOn(context)
            ? AcceptOrHandOnAsync([context.Message with { JobId = jobId }], context)
            : AcceptAsync(context.Message, jobId, context);
    }

    /// <inheritdoc />
    public Task Consume(ConsumeContext<SubmitCompletions> context)
    {
        var jobs = context.Message.Jobs;
        if (jobs is null)
        {
            // A single job as a plain JSON body: the other message type's to take.
            return Task.CompletedTask;
        }

        if (jobs.Count > SubmitCompletions.MaxJobs)
        {
            throw new InvalidSubmissionException($"field jobs: at most {SubmitCompletions.MaxJobs} jobs per message, got {jobs.Count}");
        }

        // Every job is checked before any is recorded: a bad chunk is refused whole.
        for (var i = 0; i < jobs.Count; i++)
        {
            if (jobs[i] is null)
            {
                throw new InvalidSubmissionException($"jobs[{i}]: must be a job object, got null");
            }

            Validate(jobs[i], where: $"jobs[{i}] ");
        }

        if (shareIntake.HandsOn(context))
        {
            return AcceptOrHandOnAsync(jobs.Select(j => j.JobId != Guid.Empty ? j : j with { JobId = StableId(j) }), context);
        }

        var accepting = new Task[jobs.Count];
        for (var i = 0; i < jobs.Count; i++)
        {
            var job = jobs[i];
            accepting[i] = AcceptAsync(job, job.JobId != Guid.Empty ? job.JobId : StableId(job), context);
        }

        return Task.WhenAll(accepting);
    }

    // Off the shared intake with several shares: the jobs of this process's shares are accepted
    // here, the others' handed to their share's intake, each share's together, at the same time.
    // Each job carries its id.
    private Task AcceptOrHandOnAsync(IEnumerable<SubmitCompletion> jobs, ConsumeContext context)
    {
        var (kept, others) = shareIntake.Split(jobs, context);
        return Task.WhenAll(kept.Select(j => AcceptAsync(j, j.JobId, context))
            .Concat(others.Select(other => shareIntake.HandOnAsync(other.Key, other.Value, context))));
    }

    private async Task AcceptAsync(SubmitCompletion message, Guid jobId, ConsumeContext context)
    {
        var ct = context.CancellationToken;
        var group = catalog.Value.Group(message.ModelGroup);
        var url = Endpoints.Normalize(message.Url)!; // Validate refused any other
        using var activity = instrumentation.StartSubmit(jobId, message);
        var (traits, metadata) = BodyTraits.Read(message.Body);
        var (job, recorded) = await ledger.AcceptJobAsync(
            new NewJob(
                jobId.ToString(),
                message.BatchId,
                message.CustomId,
                message.ModelGroup,
                message.Tenant,
                message.Priority,
                message.SessionKey,
                message.Deadline,
                message.Body.GetRawText(),
                estimates.Estimate(message.ModelGroup, message.Body, url),
                TokenEstimator.ReservedCompletionTokens(message.Body, group.DefaultMaxTokens, url),
                url,
                traits,
                metadata),
            ct);

        if (JobState.IsTerminal(job.State))
        {
            // A redelivery, or the same custom id submitted twice: the job already ended once.
            await results.PublishIfUnsentAsync(job.JobId, context, ct);
            return;
        }

        // Only the delivery of the job's own id carries it forward: the same custom id submitted
        // again under another id is the same job, already in the hands of its first delivery.
        if (job.JobId != jobId.ToString())
        {
            return;
        }

        // Counted by the delivery that recorded the job, so a job submitted again is counted once.
        if (recorded)
        {
            instrumentation.JobSubmitted(message.ModelGroup);
        }

        // A job already marked sent has its first attempt sent again by this delivery or not. Two
        // kinds of delivery get here, and only one of them may send:
        // - the same message delivered again because the dispatcher that took it stopped (died, lost
        //   its channel) before acknowledging it, perhaps between marking the attempt sent and sending
        //   it. Nothing else would ever send that attempt, so this delivery sends it again: a duplicate
        //   call at worst, whose outcome the ledger records once;
        // - a submission of a job already under way: a producer republishing with the same message id
        //   (at-least-once producers do), or the job id sent again in another message. The first
        //   delivery sent the attempt and its outcome will come; sending again would call the provider
        //   twice and reserve quota and spend twice for one job.
        // The ledger cannot tell them apart (both find the attempt marked, with no outcome yet); the
        // broker can. RabbitMQ sets the redelivered flag only on a message it delivered before without
        // an acknowledgement, and a republished message is a new message, delivered without it; the
        // in-memory transport sets it only when it delivers the same message again. A message tried
        // again in process after a transient failure (MessageRetry) is the same delivery: it too may
        // send what its failed try claimed and never sent (JobDispatch skips what that try did send).
        // The first attempt is the intake's to send again only while it is the job's latest and has
        // not reported: a later one belongs to the retry or replay message that claimed it, which
        // comes back itself if its dispatcher stopped. Jobs handed from the shared intake to their
        // share's own carry the redelivery with them (ShareIntake.HandedOnAgain).
        var resend = job.State == JobState.Dispatched;
        if (resend && !await dispatch.MayResendAsync(job, attempt: 1, context, ct, handedOn: ShareIntake.HandedOnAgain(context)))
        {
            return;
        }

        if (message.Deadline is { } deadline && deadline <= time.GetUtcNow())
        {
            await results.FailAsync(job, ErrorKind.DeadlineExceeded, $"deadline {deadline:O} passed before the job was started", null, 0, context, ct);
            return;
        }

        // No deployment of the group will ever serve the endpoint, however long the job waits: it
        // ends now, saying so, instead of being refused by routing attempt after attempt. (A file
        // that `run` checks against this catalog never gets here with such a line.)
        if (catalog.Value.UnservedEndpoint(message.ModelGroup, url) is { } unserved)
        {
            await results.FailAsync(job, ErrorKind.NoDeployment, $"job {message.CustomId}, field url: {unserved}", null, 0, context, ct);
            return;
        }

        await dispatch.DispatchAsync(job, attempt: 1, excluded: new HashSet<string>(), groups: null, resend, mayDefer: true, context, ct, message.Body);
    }

    // Names the field and, for a job in a chunk, its place in the chunk (where ends in a space).
    private static void Validate(SubmitCompletion message, string where)
    {
        if (string.IsNullOrWhiteSpace(message.CustomId))
        {
            throw new InvalidSubmissionException($"{where}field customId: required, a non-empty string");
        }

        if (string.IsNullOrWhiteSpace(message.ModelGroup))
        {
            throw new InvalidSubmissionException($"{where}job {message.CustomId}, field modelGroup: required, a non-empty string");
        }

        if (message.Body.ValueKind == JsonValueKind.Undefined)
        {
            throw new InvalidSubmissionException($"{where}job {message.CustomId}, field body: required, the request body as a JSON object");
        }

        if (message.Body.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidSubmissionException($"{where}job {message.CustomId}, field body: must be a JSON object, got {message.Body.ValueKind}");
        }

        if (message.Body.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True)
        {
            throw new InvalidSubmissionException($"{where}job {message.CustomId}, field body.stream: must be false or absent, a job's result is one response, not a stream");
        }

        if (Endpoints.Normalize(message.Url) is null)
        {
            throw new InvalidSubmissionException($"{where}job {message.CustomId}, field url: '{message.Url}' is not supported; supported: {Endpoints.List(Endpoints.All)}");
        }

        if (message.Priority is < -MaxPriority or > MaxPriority)
        {
            throw new InvalidSubmissionException($"{where}job {message.CustomId}, field priority: must be between -{MaxPriority} and {MaxPriority}");
        }
    }

    // A job sent without a job id or message id (a bare AMQP publish) still needs an id that is
    // the same on every redelivery; the content is the only thing that is.
    private static Guid StableId(SubmitCompletion message)
    {
        // The url joins the content only when it is not the default, so a job's id is what it was
        // before jobs named an endpoint.
        var url = Endpoints.Normalize(message.Url) is Endpoints.ChatCompletions ? "" : "\n" + message.Url;
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{message.BatchId}\n{message.CustomId}\n{message.ModelGroup}\n{message.Body.GetRawText()}{url}"));
        return new Guid(hash.AsSpan(0, 16));
    }
}
