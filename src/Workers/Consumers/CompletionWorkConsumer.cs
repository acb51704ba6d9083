using System.Text.Json;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.ServiceDefaults.Messaging;
using Dispatcher.Workers.Monitoring;
using Dispatcher.Workers.Providers;
using MassTransit;

namespace Dispatcher.Workers.Consumers;

/// <summary>
/// Runs attempts against the deployment the dispatcher chose, one per message or a pack of them
/// (<see cref="CompletionWorkPack"/>), and reports each classified outcome back. It never decides
/// a job's next route; that is the dispatcher's. A message is acknowledged once the outcome of
/// every attempt in it is confirmed by the broker. One attempt's failure, whatever it is, is that
/// attempt's outcome; only what is not about one attempt (the worker stopping, an outcome that
/// cannot be sent) fails the message.
/// </summary>
internal sealed class CompletionWorkConsumer(
    ProviderRegistry providers,
    WorkerInstrumentation instrumentation,
    ProviderAnomalyLog anomalies,
    PackingSender<CompletionAttempted, CompletionAttemptedPack> outcomes,
    ConfirmedOutcomes confirmed,
    TimeProvider time) : IConsumer<CompletionWork>, IConsumer<CompletionWorkPack>
{
    // To the queue's exchange: sending to the queue itself would declare it, without the
    // single-active-consumer argument the dispatcher sets, and the broker refuses a queue
    // declared two ways. The dispatcher declares and binds the queue.
    private static readonly Uri OutcomesAddress = new("exchange:" + QueueNames.Outcomes);

    // With several dispatchers each owning a share of the model groups, the attempt names its
    // share's outcomes queue; the worker need not know the shares.
    private static Uri OutcomesOf(CompletionWork work) => work.Outcomes is { } queue && queue.StartsWith(QueueNames.Outcomes, StringComparison.Ordinal) ? new("exchange:" + queue) : OutcomesAddress;

    public Task Consume(ConsumeContext<CompletionWork> context) =>
        RunAsync(context.Message, ServedFor(context.Message), DeliveryOutcomes.Of(context), context.CancellationToken);

    public Task Consume(ConsumeContext<CompletionWorkPack> context)
    {
        var work = context.Message.Work ?? throw new InvalidOperationException("field work: required, a list of attempts");

        // Every attempt is checked before any runs: a pack this worker cannot serve is
        // dead-lettered whole.
        var served = new ServedDeployment[work.Count];
        for (var i = 0; i < work.Count; i++)
        {
            served[i] = ServedFor(work[i] ?? throw new InvalidOperationException($"work[{i}]: must be an attempt, got null"));
        }

        var reported = DeliveryOutcomes.Of(context);
        var running = new Task[work.Count];
        for (var i = 0; i < work.Count; i++)
        {
            running[i] = RunAsync(work[i], served[i], reported, context.CancellationToken);
        }

        return Task.WhenAll(running);
    }

    // Work for a deployment this process does not serve is a routing or configuration mismatch
    // that retrying here cannot fix: the transport dead-letters the message.
    private ServedDeployment ServedFor(CompletionWork work) =>
        providers.TryGet(work.DeploymentId, out var deployment, out var pipeline)
            ? new ServedDeployment(deployment, pipeline)
            : throw new InvalidOperationException($"this worker does not serve deployment '{work.DeploymentId}'");

    private async Task RunAsync(CompletionWork work, ServedDeployment served, DeliveryOutcomes reported, CancellationToken ct)
    {
        if (confirmed.Contains(work))
        {
            // Reported and confirmed already, by an earlier try of this message or an earlier
            // delivery of it: the dispatcher has the outcome. Only the latter would have called
            // the provider again.
            if (!reported.TryGet(work, out _))
            {
                instrumentation.RepeatAvoided(work.DeploymentId);
            }

            return;
        }

        if (reported.TryGet(work, out var known))
        {
            // A try of this message ran the attempt already; only its report failed to go out.
            await outcomes.SendAsync(OutcomesOf(work), known, ct);
            return;
        }

        var (deployment, pipeline) = served;
        await pipeline.EnterSlotAsync(ct);
        long started;
        ProviderOutcome outcome;
        string? trace;
        try
        {
            started = time.GetTimestamp();
            using var call = instrumentation.BeginCall(work);
            trace = call.TraceParent ?? work.TraceParent;
            if (work.Body.ValueKind != JsonValueKind.Object)
            {
                // The dispatcher never sends such a body, but a message from elsewhere may: it is
                // this attempt's request that is wrong, not the pack it came in.
                outcome = ProviderOutcome.Failure(ErrorKind.InvalidRequest, $"field body: must be a JSON object, got {work.Body.ValueKind}");
            }
            else if (Endpoints.Normalize(work.Url) is null)
            {
                outcome = ProviderOutcome.Failure(ErrorKind.InvalidRequest, $"field url: '{work.Url}' is not supported; supported: {Endpoints.List(Endpoints.All)}");
            }
            else if (work.Deadline is { } deadline && deadline <= time.GetUtcNow())
            {
                outcome = ProviderOutcome.Failure(ErrorKind.DeadlineExceeded, $"deadline {deadline:O} passed before the call");
            }
            else if (work.StartBy is { } startBy && startBy <= time.GetUtcNow())
            {
                outcome = ProviderOutcome.Failure(ErrorKind.Timeout, $"not started: it waited in the queue past its lease ({startBy:O})");
            }
            else
            {
                var body = RequestBody.WithModel(work.Body, deployment.ProviderModel);
                outcome = await pipeline.CallAsync(new ProviderRequest(body, work.MaxTokens, work.EstimatedPromptTokens, work.JobId, work.Attempt, Endpoints.Normalize(work.Url)!), ct);
            }

            call.End(outcome.Error, outcome.StatusCode, time.GetElapsedTime(started).TotalMilliseconds);
            anomalies.Report(work.DeploymentId, outcome.Anomalies);
        }
        finally
        {
            pipeline.LeaveSlot();
        }

        var attempted = new CompletionAttempted(
            work.JobId,
            work.DeploymentId,
            work.Attempt,
            outcome.Error,
            outcome.StatusCode,
            outcome.Response,
            outcome.Usage,
            time.GetElapsedTime(started).TotalMilliseconds,
            outcome.ErrorMessage,
            outcome.RetryAfter,
            outcome.RequestId,
            outcome.RateLimit,
            outcome.ProviderTime?.TotalMilliseconds,
            trace,
            work.QuotaSeq);
        reported.Add(attempted);
        await outcomes.SendAsync(OutcomesOf(work), attempted, ct);
        confirmed.Add(attempted);
    }

    private readonly record struct ServedDeployment(DeploymentOptions Deployment, ProviderCallPipeline Pipeline);
}
