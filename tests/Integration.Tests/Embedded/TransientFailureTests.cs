using System.Text.Json;
using Dispatcher.Contracts;
using Dispatcher.Monitoring;
using Dispatcher.Quotas;
using Dispatcher.ServiceDefaults.Messaging;
using Dispatcher.Tests.Support;
using Dispatcher.Workers.Monitoring;
using Integration.Tests.Support;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Integration.Tests.Embedded;

/// <summary>A ledger write or a send that fails once costs a moment, never a job, a second call or a second count.</summary>
public sealed class TransientFailureTests
{
    private const int Jobs = 12;

    [Fact]
    public async Task SubmitCompletions_LedgerBusyOnceAtIntake_EveryJobEndsOnceWithoutAFault()
    {
        var faults = new LedgerFaults();
        await using var pipeline = await EmbeddedPipeline.StartAsync(Catalog(), faults.Install);
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        using var calls = new MeasurementRecorder(pipeline.Services.GetRequiredService<WorkerInstrumentation>().Meter);
        faults.FailNext("AcceptJobAsync");

        await SubmitAsync(pipeline.Bus, "b-busy-intake");
        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Count == Jobs || !recorder.ChunkFaults.IsEmpty, "every result or a fault", TimeSpan.FromSeconds(20));
        await Task.Delay(300);

        faults.Injected.ShouldBe(1);
        recorder.ChunkFaults.ShouldBeEmpty();
        recorder.Succeeded.Select(s => s.CustomId).Distinct().Count().ShouldBe(Jobs);
        recorder.Succeeded.Count.ShouldBe(Jobs);
        calls.Sum("worker.calls").ShouldBe(Jobs, "an attempt sent before the failure is not sent again");
    }

    [Fact]
    public async Task CompletionAttemptedPack_LedgerBusyOnceRecordingAnOutcome_EveryAttemptCountedOnce()
    {
        var faults = new LedgerFaults();
        await using var pipeline = await EmbeddedPipeline.StartAsync(Catalog(), faults.Install);
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        using var metrics = new MeasurementRecorder(pipeline.Services.GetRequiredService<DispatcherInstrumentation>().Meter);
        faults.FailNext("RecordSuccessAsync");

        await SubmitAsync(pipeline.Bus, "b-busy-outcome");
        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Count == Jobs, "every result", TimeSpan.FromSeconds(20));
        await Task.Delay(300);

        faults.Injected.ShouldBe(1);
        recorder.Succeeded.Count.ShouldBe(Jobs);
        var status = await pipeline.Ledger.GetBatchStatusAsync("b-busy-outcome", default);
        status!.Succeeded.ShouldBe(Jobs);
        metrics.Count("dispatcher.provider.latency").ShouldBe(Jobs, "each attempt is settled once");
        metrics.Sum("dispatcher.cost").ShouldBe(status.Cost, 1e-12);
        (await pipeline.AttemptKindsAsync()).ShouldBe(new Dictionary<string, long> { ["None"] = Jobs });
    }

    [Fact]
    public async Task CompletionAttemptedPack_LedgerBusyOnceMarkingResultsSent_EveryJobHasOneResultAndIsMarked()
    {
        var faults = new LedgerFaults();
        await using var pipeline = await EmbeddedPipeline.StartAsync(Catalog(), faults.Install);
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        faults.FailNext("MarkResultPublishedAsync");

        await SubmitAsync(pipeline.Bus, "b-busy-mark");
        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Count == Jobs, "every result", TimeSpan.FromSeconds(20));
        await Task.Delay(300);

        faults.Injected.ShouldBe(1);
        recorder.Succeeded.Count.ShouldBe(Jobs, "the marks are written again, not the results published again");
        (await pipeline.Ledger.ListUnpublishedEndedJobsAsync("b-busy-mark", "", 100, default)).ShouldBeEmpty();
    }

    [Fact]
    public async Task SubmitCompletions_WorkSendFailsOnce_EveryJobCalledOnceAndEnds()
    {
        var sends = new SendFaults();
        await using var pipeline = await EmbeddedPipeline.StartAsync(Catalog(), sends.Install);
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        using var calls = new MeasurementRecorder(pipeline.Services.GetRequiredService<WorkerInstrumentation>().Meter);
        sends.FailNext();

        await SubmitAsync(pipeline.Bus, "b-send-fails");
        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Count == Jobs || !recorder.ChunkFaults.IsEmpty, "every result or a fault", TimeSpan.FromSeconds(20));
        await Task.Delay(300);

        sends.Injected.ShouldBe(1);
        recorder.ChunkFaults.ShouldBeEmpty();
        recorder.Succeeded.Count.ShouldBe(Jobs);
        calls.Sum("worker.calls").ShouldBe(Jobs, "only the attempts whose send failed are sent again");
        ReservedSpend(pipeline).ShouldBe(0m, "the reservation of the attempt whose send failed is given back");
    }

    [Fact]
    public async Task SubmitCompletions_LedgerBusyOnceClaimingAnAttempt_EveryJobEndsOnceAndNothingStaysReserved()
    {
        var faults = new LedgerFaults();
        await using var pipeline = await EmbeddedPipeline.StartAsync(Catalog(), faults.Install);
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        using var calls = new MeasurementRecorder(pipeline.Services.GetRequiredService<WorkerInstrumentation>().Meter);
        faults.FailNext("MarkDispatchedAsync");

        await SubmitAsync(pipeline.Bus, "b-busy-claim");
        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Count == Jobs || !recorder.ChunkFaults.IsEmpty, "every result or a fault", TimeSpan.FromSeconds(20));
        await Task.Delay(300);

        faults.Injected.ShouldBe(1);
        recorder.ChunkFaults.ShouldBeEmpty();
        recorder.Succeeded.Count.ShouldBe(Jobs);
        calls.Sum("worker.calls").ShouldBe(Jobs);
        ReservedSpend(pipeline).ShouldBe(0m, "the reservation of the attempt whose claim failed is given back");
    }

    [Fact]
    public async Task RetryCompletion_SendToTheFallbackFailsOnce_JobEndsOnTheFallback()
    {
        var sends = new SendFaults();
        await using var pipeline = await EmbeddedPipeline.StartAsync(
            new
            {
                Deployments = new[] { EmbeddedPipeline.Simulated("broken", errorRate: 1), EmbeddedPipeline.Simulated("backup-1", group: "backup") },
                ModelGroups = new[] { new { Name = "gpt-test", Fallbacks = new[] { "backup" } } },
            },
            sends.Install);
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        sends.FailNext(deployment: "backup-1");

        await SendAsync(pipeline.Bus, new SubmitCompletion("falls-back", "gpt-test", Body(), "b-fallback-send", Guid.NewGuid()));
        await EventRecorder.EventuallyAsync(() => !recorder.Succeeded.IsEmpty, "the result", TimeSpan.FromSeconds(20));

        sends.Injected.ShouldBe(1);
        var result = recorder.Succeeded.Single();
        result.DeploymentId.ShouldBe("backup-1");
        result.Attempts.ShouldBe(2);
    }

    [Fact]
    public async Task ReplayCompletion_SendFailsOnce_JobRunsAgainAndEnds()
    {
        var sends = new SendFaults();
        await using var pipeline = await EmbeddedPipeline.StartAsync(
            new
            {
                Deployments = new[] { EmbeddedPipeline.Simulated("broken", errorRate: 1) },
                ModelGroups = new[] { new { Name = "gpt-test", MaxAttempts = 1 } },
            },
            sends.Install);
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        var jobId = Guid.NewGuid();
        await SendAsync(pipeline.Bus, new SubmitCompletion("replayed", "gpt-test", Body(), "b-replay-send", jobId));
        await EventRecorder.EventuallyAsync(() => recorder.Failed.Count == 1, "the first failure", TimeSpan.FromSeconds(20));
        sends.FailNext();

        var replays = await pipeline.Bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Replays));
        await replays.Send(new ReplayCompletion(jobId));
        await EventRecorder.EventuallyAsync(() => recorder.Failed.Count == 2, "the replay's failure", TimeSpan.FromSeconds(20));

        sends.Injected.ShouldBe(1);
        recorder.Failed.Last().History.Select(h => h.Attempt).ShouldBe([1, 2]);
    }

    [Fact]
    public async Task SubmitCompletions_InvalidJob_GoesToTheErrorQueueWithoutRetries()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(Catalog());
        var parked = new TaskCompletionSource<int?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var errors = pipeline.Bus.ConnectReceiveEndpoint(QueueNames.Intake + "_error", e =>
            e.Handler<SubmitCompletions>(c =>
            {
                parked.TrySetResult(c.Headers.Get<int>(MessageHeaders.FaultRetryCount));
                return Task.CompletedTask;
            }));
        await errors.Ready;

        var intake = await pipeline.Bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Intake));
        await intake.Send(new SubmitCompletions([new SubmitCompletion("no-group", "", Body(), "b-poison", Guid.NewGuid())]));
        var retries = await parked.Task.WaitAsync(TimeSpan.FromSeconds(10));

        (retries ?? 0).ShouldBe(0);
    }

    [Fact]
    public async Task SubmitCompletions_LedgerBusyLongerThanEveryRetry_GoesToTheErrorQueueAfterThem()
    {
        var faults = new LedgerFaults();
        await using var pipeline = await EmbeddedPipeline.StartAsync(Catalog(), services =>
        {
            faults.Install(services);
            services.Configure<MessageRetryOptions>(o => (o.Retries, o.FirstDelay, o.MaxDelay) = (2, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(20)));
        });
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        faults.FailNext("AcceptJobAsync", times: 3);

        var intake = await pipeline.Bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Intake));
        await intake.Send(new SubmitCompletions([new SubmitCompletion("locked-out", "gpt-test", Body(), "b-locked", Guid.NewGuid())]));
        await EventRecorder.EventuallyAsync(() => !recorder.ChunkFaults.IsEmpty, "the fault", TimeSpan.FromSeconds(10));

        faults.Injected.ShouldBe(3, "the first try and its two retries");
        recorder.ChunkFaults.Single().Exceptions[0].Message.ShouldContain("database is locked");
    }

    [Fact]
    public async Task SubmitCompletions_LedgerBusyOnceNotingAJobInItsLane_EveryJobCalledOnceAndEnds()
    {
        // Quota for six jobs at once, then one every 16 ms: the rest of the chunk goes to its
        // dispatch lane, whose deliveries claim and send jobs before the chunk is tried again.
        var faults = new LedgerFaults();
        await using var pipeline = await EmbeddedPipeline.StartAsync(
            new
            {
                QuotaWindow = "00:00:01",
                Deployments = new[]
                {
                    new
                    {
                        Id = "d1", ModelGroup = "gpt-test", Provider = "Simulated", MaxParallel = 4 * Jobs, Rpm = 60, BurstFraction = 0.1,
                        Simulation = new { LatencyMs = 600, LatencySigma = 0.0, ErrorRate = 0.0, RateLimitRate = 0.0 },
                    },
                },
            },
            faults.Install);
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        using var calls = new MeasurementRecorder(pipeline.Services.GetRequiredService<WorkerInstrumentation>().Meter);
        faults.FailNext("MarkLanedAsync");

        await SubmitAsync(pipeline.Bus, "b-busy-lane");
        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Count == Jobs || !recorder.ChunkFaults.IsEmpty, "every result or a fault", TimeSpan.FromSeconds(20));
        await Task.Delay(1_000);

        faults.Injected.ShouldBe(1);
        recorder.ChunkFaults.ShouldBeEmpty();
        recorder.Succeeded.Count.ShouldBe(Jobs);
        calls.Sum("worker.calls").ShouldBe(Jobs, "a job the failed try handed to its lane is the lane's to send, not the retried chunk's");
    }

    // Calls take longer than the first retry's wait, so a retried message finds its jobs under way;
    // the budget makes every attempt reserve its estimated cost until its outcome settles it.
    private static object Catalog() => new
    {
        Deployments = new[] { EmbeddedPipeline.Simulated("d1", maxParallel: 4 * Jobs, latencyMs: 600) },
        ModelGroups = new[] { new { Name = "gpt-test", Budget = new { Limit = 1000.0, Period = "Day" } } },
    };

    private static decimal ReservedSpend(EmbeddedPipeline pipeline) =>
        pipeline.Services.GetRequiredService<SpendBook>().Account(SpendBook.GroupKey("gpt-test")).Reserved;

    private static JsonElement Body() =>
        JsonSerializer.SerializeToElement(new { model = "gpt-test", messages = new[] { new { role = "user", content = "hello" } }, max_tokens = 16 });

    private static async Task SendAsync(IBus bus, SubmitCompletion job)
    {
        var intake = await bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Intake));
        await intake.Send(job);
    }

    private static async Task SubmitAsync(IBus bus, string batchId)
    {
        var jobs = Enumerable.Range(1, Jobs)
            .Select(i => new SubmitCompletion(
                $"job-{i}",
                "gpt-test",
                JsonSerializer.SerializeToElement(new { model = "gpt-test", messages = new[] { new { role = "user", content = $"question {i}" } }, max_tokens = 16 }),
                batchId,
                Guid.NewGuid()))
            .ToList();
        var intake = await bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Intake));
        await intake.Send(new SubmitCompletions(jobs));
    }
}
