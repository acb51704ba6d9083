using System.Text.Json;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Ledger;
using Dispatcher.Quotas;
using Dispatcher.Reservations;
using Integration.Tests.Support;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Integration.Tests.Embedded;

/// <summary>
/// An attempt sent twice (a redelivered message resends it under a reservation of its own) has two
/// reservations, and each is settled by the outcome of its own send, whichever report comes first.
/// </summary>
public sealed class OutcomeSettlementTests
{
    [Fact]
    public async Task Outcomes_AttemptResentToAnotherDeployment_EachSendSettlesItsOwnReservation()
    {
        // Calls that never answer within the test: the outcomes below are the only ones.
        await using var pipeline = await EmbeddedPipeline.StartAsync(new { Deployments = new[] { Hanging("d1"), Hanging("d2") } });
        var intake = await pipeline.Bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Intake));
        var body = JsonSerializer.SerializeToElement(new { model = "gpt-test", messages = new[] { new { role = "user", content = "hi" } }, max_tokens = 16 });
        var jobId = Guid.NewGuid();
        await intake.Send(new SubmitCompletion("twice", "gpt-test", body, "b-twice", jobId));
        JobRow? job = null;
        await EventRecorder.EventuallyAsync(
            () => (job = pipeline.Ledger.GetJobAsync(jobId.ToString(), default).GetAwaiter().GetResult()) is { State: JobState.Dispatched, QuotaSeq: not null },
            "the first send");
        var catalog = pipeline.Services.GetRequiredService<IOptions<CatalogOptions>>().Value;
        var quotas = pipeline.Services.GetRequiredService<QuotaBook>();
        var reservations = pipeline.Services.GetRequiredService<AttemptReservations>();
        var first = catalog.Deployments.Single(d => d.Id == job!.DeploymentId);
        var other = catalog.Deployments.Single(d => d.Id != job!.DeploymentId);

        // What a redelivered message does (JobDispatch): attempt 1 routed again, here to the other
        // deployment, under a reservation that replaces the first one's claim.
        var resent = reservations.Reserve(other, quotas[other.Id], (int)job!.EstPromptTokens, (int)job.MaxTokens, null, quotas.Now);
        (await pipeline.Ledger.MarkDispatchedAsync(job.JobId, other.Id, 1, resent, "resend", replacing: job.QuotaSeq, default)).ShouldBeTrue();
        reservations.ReleaseReplaced(AttemptReservation.For(job, first, job.QuotaSeq!.Value));

        // Both sends ran: the first one's report comes first and ends the job, then the resend's.
        var outcomes = await pipeline.Bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Outcomes));
        await outcomes.Send(Succeeded(jobId, first.Id, job.QuotaSeq.Value));
        await EventRecorder.EventuallyAsync(
            () => pipeline.Ledger.GetJobAsync(jobId.ToString(), default).GetAwaiter().GetResult() is { State: JobState.Succeeded },
            "the job ended by the first report");
        await outcomes.Send(Succeeded(jobId, other.Id, resent));

        await EventRecorder.EventuallyAsync(
            () => quotas.Usage().All(u => u.InFlight == 0),
            "every reservation settled: " + string.Join(", ", quotas.Usage().Select(u => $"{u.DeploymentId} {u.InFlight} in flight")));
    }

    private static CompletionAttempted Succeeded(Guid jobId, string deploymentId, long quotaSeq) => new(
        jobId, deploymentId, 1, ErrorKind.None, 200, JsonSerializer.SerializeToElement(new { choices = Array.Empty<object>() }),
        new TokenUsage(5, 5), 10, QuotaSeq: quotaSeq);

    private static object Hanging(string id) => new
    {
        Id = id,
        ModelGroup = "gpt-test",
        Provider = "Simulated",
        MaxParallel = 8,
        TimeoutSeconds = 3600,
        Simulation = new { LatencyMs = 600_000, LatencySigma = 0.0, ErrorRate = 0.0, RateLimitRate = 0.0 },
    };
}
