using System.Globalization;
using System.Text.Json;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Ledger;
using Dispatcher.Monitoring;
using Dispatcher.Routing;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dispatcher.Dispatching;

/// <summary>
/// Sends a job's next attempt to the deployment routing picks, waiting for quota when every
/// deployment is spent, or ends the job when no deployment can take it. Shared by intake and
/// by the outcome flow (retries).
/// </summary>
public sealed class JobDispatch(
    DispatchGate gate,
    SqliteLedger ledger,
    ResultPublisher results,
    IOptions<CatalogOptions> catalog,
    TimeProvider time,
    ILogger<JobDispatch> logger,
    DispatcherInstrumentation instrumentation)
{
    /// <summary>Routes and sends attempt <paramref name="attempt"/> of <paramref name="job"/>.</summary>
    public async Task DispatchAsync(
        JobRow job,
        int attempt,
        IReadOnlySet<string> excluded,
        ConsumeContext context,
        CancellationToken ct)
    {
        using var activity = instrumentation.StartRoute(job, attempt);
        var request = new RoutingRequest(
            Guid.Parse(job.JobId),
            job.ModelGroup,
            (int)job.EstPromptTokens,
            (int)job.MaxTokens,
            job.Tenant,
            job.SessionKey,
            excluded);
        var deadline = job.Deadline is null ? (DateTimeOffset?)null : DateTimeOffset.Parse(job.Deadline, CultureInfo.InvariantCulture);

        RoutingDecision decision;
        using (var waitLimit = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            if (deadline is { } d)
            {
                waitLimit.CancelAfter(Max(d - time.GetUtcNow(), TimeSpan.Zero));
            }

            try
            {
                decision = await RouteWithFallbacksAsync(request, (int)job.Priority, waitLimit.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                await results.FailAsync(job, ErrorKind.DeadlineExceeded, $"deadline {deadline:O} passed while waiting for quota", null, attempt - 1, context, ct);
                return;
            }
        }

        DispatcherInstrumentation.Decided(activity, decision);
        if (decision.Deployment is null)
        {
            logger.LogWarning("Job {JobId} ({CustomId}) cannot be routed: {Reason}", job.JobId, job.CustomId, decision.Reason);
            await results.FailAsync(job, decision.RefusalKind, decision.Reason, null, attempt - 1, context, ct);
            return;
        }

        var deployment = decision.Deployment;
        using var body = JsonDocument.Parse(job.Body);
        var work = new CompletionWork(
            request.JobId,
            deployment.Id,
            attempt,
            body.RootElement,
            request.EstimatedPromptTokens,
            request.MaxTokens,
            deadline);

        // Mark, then send. The ledger then knows of every call that may have gone out, which a
        // restarted dispatcher counts against its quota windows. A crash in between leaves the
        // job marked but perhaps unsent; the message that caused this dispatch is then
        // redelivered, and its consumer sends the attempt again.
        await ledger.MarkDispatchedAsync(job.JobId, deployment.Id, attempt, decision.ReservationSequence, decision.Reason, ct);
        var endpoint = await context.GetSendEndpoint(new Uri("queue:" + QueueNames.Provider(deployment.Id)));
        await endpoint.Send(work, ct);
        instrumentation.JobRouted(deployment.Id, job.ModelGroup, decision.Strategy);
        if (logger.IsEnabled(LogLevel.Debug))
        {
            logger.LogDebug("Job {JobId} attempt {Attempt} → {Deployment}: {Reason}", job.JobId, attempt, deployment.Id, decision.Reason);
        }
    }

    /// <summary>
    /// The job's own group first (waiting there if it is only short of quota); when that group
    /// cannot take the job at all — every deployment already failed it, or is filtered out —
    /// the group's fallback chain, in order.
    /// </summary>
    private async Task<RoutingDecision> RouteWithFallbacksAsync(RoutingRequest request, int priority, CancellationToken ct)
    {
        var decision = await gate.RouteAsync(request, priority, ct);
        if (decision.Deployment is not null)
        {
            return decision;
        }

        foreach (var fallback in catalog.Value.Group(request.ModelGroup).Fallbacks)
        {
            var next = await gate.RouteAsync(request with { ModelGroup = fallback }, priority, ct);
            if (next.Deployment is not null)
            {
                instrumentation.JobFellBack(request.ModelGroup, fallback);
                return next;
            }
        }

        return decision;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
