using Dispatcher.Contracts;
using Dispatcher.Monitoring;
using Dispatcher.Workers.Providers;
using MassTransit;

namespace Dispatcher.Workers.Consumers;

/// <summary>
/// Runs one attempt against the deployment the dispatcher chose and reports the classified
/// outcome back. It never decides a job's next route; that is the dispatcher's.
/// </summary>
internal sealed class CompletionWorkConsumer(ProviderRegistry providers, WorkerInstrumentation instrumentation, TimeProvider time) : IConsumer<CompletionWork>
{
    public async Task Consume(ConsumeContext<CompletionWork> context)
    {
        var work = context.Message;
        if (!providers.TryGet(work.DeploymentId, out var deployment, out var pipeline))
        {
            // Work for a deployment this process does not serve: a routing or configuration
            // mismatch that retrying here cannot fix. The transport dead-letters it.
            throw new InvalidOperationException($"this worker does not serve deployment '{work.DeploymentId}'");
        }

        var started = time.GetTimestamp();
        ProviderOutcome outcome;
        using (var call = instrumentation.BeginCall(work))
        {
            if (work.Deadline is { } deadline && deadline <= time.GetUtcNow())
            {
                outcome = ProviderOutcome.Failure(ErrorKind.DeadlineExceeded, $"deadline {deadline:O} passed before the call");
            }
            else
            {
                var body = RequestBody.WithModel(work.Body, deployment.ProviderModel);
                outcome = await pipeline.CallAsync(new ProviderRequest(body, work.MaxTokens, work.EstimatedPromptTokens, work.JobId, work.Attempt), context.CancellationToken);
            }

            call.End(outcome.Error, outcome.StatusCode, time.GetElapsedTime(started).TotalMilliseconds);
        }

        // To the queue's exchange: sending to the queue itself would declare it, without the
        // single-active-consumer argument the dispatcher sets, and the broker refuses a queue
        // declared two ways. The dispatcher declares and binds the queue.
        var endpoint = await context.GetSendEndpoint(new Uri("exchange:" + QueueNames.Outcomes));
        await endpoint.Send(
            new CompletionAttempted(
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
                outcome.ProviderTime?.TotalMilliseconds),
            context.CancellationToken);
    }
}
