using System.Text.Json;
using Dispatcher.Contracts;
using Dispatcher.Dispatching;
using Dispatcher.Ledger;
using Dispatcher.Lifecycle;
using Dispatcher.Quotas;
using Dispatcher.Batches;
using Dispatcher.ResultFiles;
using Dispatcher.Tests.Support;
using Integration.Tests.Faults;
using Integration.Tests.Support;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Integration.Tests.Embedded;

/// <summary>Cancel, pause and resume, and a completion window, on the whole pipeline in one process.</summary>
public sealed class BatchLifecycleTests
{
    // A provider slow enough, and a quota tight enough, that a batch is still under way when a
    // command lands: about four jobs a second, each call taking 300 ms.
    private static object SlowCatalog(string callLog) => new
    {
        QuotaWindow = "00:00:01",
        Deployments = new[]
        {
            new
            {
                Id = "slow", ModelGroup = "gpt-test", Provider = "Simulated", MaxParallel = 8, Rpm = 4, BurstFraction = 0.5,
                InputPricePerMillion = 1.0, OutputPricePerMillion = 2.0,
                Simulation = new { LatencyMs = 300, LatencySigma = 0.0, Seed = 1, CallLogPath = callLog },
            },
        },
    };

    private static string WriteBatch(TempDirectory dir, string name, int lines)
    {
        var path = dir.File(name + ".jsonl");
        File.WriteAllLines(path, Enumerable.Range(1, lines).Select(i => JsonSerializer.Serialize(new
        {
            custom_id = $"{name}-{i}",
            method = "POST",
            url = "/v1/chat/completions",
            body = new { model = "gpt-test", messages = new[] { new { role = "user", content = $"question {i}" } }, max_tokens = 16 },
        })));
        return path;
    }

    private static async Task SendAsync(IBus bus, object command)
    {
        var control = await bus.GetSendEndpoint(new Uri("exchange:" + QueueNames.BatchControl));
        await control.Send(command);
    }

    private static async Task<BatchStatus> WaitForAsync(JobLedger ledger, string batchId, Func<BatchStatus, bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        BatchStatus? status = null;
        while (DateTime.UtcNow < deadline)
        {
            status = await ledger.GetBatchStatusAsync(batchId, default);
            if (status is not null && condition(status))
            {
                return status;
            }

            await Task.Delay(25);
        }

        throw new TimeoutException($"batch {batchId}: timed out waiting for {what}: {status}");
    }

    private static async Task<HashSet<Guid>> JobIdsAsync(JobLedger ledger, string batchId)
    {
        var ids = new HashSet<Guid>();
        await foreach (var job in ledger.ReadFinishedJobsAsync(batchId, default))
        {
            ids.Add(Guid.Parse(job.JobId));
        }

        return ids;
    }

    private static IReadOnlyList<JsonElement> ErrorLines(BatchResultFiles files) =>
        [.. File.ReadAllLines(files.ErrorPath).Select(l => JsonDocument.Parse(l).RootElement)];

    [Fact]
    public async Task CancelBatch_MidBatch_InFlightAttemptsFinishAndAreKeptTheRestEndBatchCancelledOnce()
    {
        using var calls = new TempDirectory();
        var callLog = calls.File("calls.jsonl");
        await using var pipeline = await EmbeddedPipeline.StartAsync(SlowCatalog(callLog));
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        var file = WriteBatch(pipeline.Directory, "cancel", 60);
        await new BatchPublisher(pipeline.Bus).PublishAsync(file, "b-cancel", 60, new BatchFileLimits(), null, default);
        var before = await WaitForAsync(pipeline.Ledger, "b-cancel", s => s.Succeeded >= 4 && s.Dispatched > 0, "a few jobs done and some in flight");

        await SendAsync(pipeline.Bus, new CancelBatch("b-cancel", "test"));
        var cancelling = await WaitForAsync(pipeline.Ledger, "b-cancel", s => s.Control == BatchControl.Cancelled, "the cancel recorded");
        var status = await WaitForAsync(pipeline.Ledger, "b-cancel", s => s.IsEnded, "the batch to end");
        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Count + recorder.Failed.Count >= 60, "every result event");
        await Task.Delay(500);
        var files = await new BatchResultWriter(pipeline.Ledger).WriteAsync("b-cancel", pipeline.Directory.File("out"), default);

        cancelling.State.ShouldBeOneOf(BatchState.Cancelling, BatchState.Cancelled);
        status.State.ShouldBe(BatchState.Cancelled);
        status.ControlReason.ShouldBe("test", "the cancel's reason is kept with the batch");
        status.Succeeded.ShouldBeGreaterThanOrEqualTo(before.Succeeded);
        status.Failed.ShouldBeGreaterThan(0, "the jobs not started were cancelled");
        (status.Succeeded + status.Failed).ShouldBe(60);
        // Every call the provider received was an attempt under way before the cancel, and each
        // finished and was kept: no attempt started after it, none was called twice.
        var received = CallLog.Read(callLog);
        received.Count.ShouldBe((int)status.Succeeded);
        received.Select(c => c.JobId).Distinct().Count().ShouldBe(received.Count);
        received.Select(c => c.JobId).ShouldBeSubsetOf(await JobIdsAsync(pipeline.Ledger, "b-cancel"));
        // One result per job, the cancelled ones as batch_cancelled.
        recorder.Succeeded.Count.ShouldBe((int)status.Succeeded);
        recorder.Failed.Count.ShouldBe((int)status.Failed);
        recorder.Succeeded.Select(s => s.JobId).Concat(recorder.Failed.Select(f => f.JobId)).Distinct().Count().ShouldBe(60);
        recorder.Failed.ShouldAllBe(f => f.Error == ErrorKind.BatchCancelled);
        var errors = ErrorLines(files);
        errors.Count.ShouldBe((int)status.Failed);
        errors.ShouldAllBe(e => e.GetProperty("error").GetProperty("code").GetString() == "batch_cancelled");
        File.ReadAllLines(files.OutputPath).Length.ShouldBe((int)status.Succeeded);
        pipeline.Services.GetRequiredService<QuotaBook>().Usage().Single().InFlight.ShouldBe(0);
        pipeline.Services.GetRequiredService<DispatchGate>().Waiting.ShouldBe(0);
    }

    [Fact]
    public async Task CancelRequestInTheLedger_MidBatch_AppliedOnceEveryJobEndsWithOneResultEvent()
    {
        using var calls = new TempDirectory();
        await using var pipeline = await EmbeddedPipeline.StartAsync(SlowCatalog(calls.File("calls.jsonl")));
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        await new BatchPublisher(pipeline.Bus).PublishAsync(WriteBatch(pipeline.Directory, "request", 40), "b-request", 40, new BatchFileLimits(), null, default);
        await WaitForAsync(pipeline.Ledger, "b-request", s => s.Succeeded >= 2, "a few jobs done");

        await pipeline.Ledger.RecordBatchRequestAsync("b-request", BatchRequestCommand.Cancel, "from the ledger", default);
        var status = await WaitForAsync(pipeline.Ledger, "b-request", s => s.IsEnded, "the batch to end");
        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Count + recorder.Failed.Count >= 40, "every result event");
        var again = await pipeline.Services.GetRequiredService<BatchRequestApplier>().ApplyPendingAsync(default);
        await Task.Delay(500);

        status.State.ShouldBe(BatchState.Cancelled);
        status.ControlReason.ShouldBe("from the ledger");
        status.Failed.ShouldBeGreaterThan(0, "the jobs not started were cancelled");
        again.ShouldBe(0, "the request was applied once");
        (await pipeline.Ledger.ListPendingBatchRequestsAsync(10, default)).ShouldBeEmpty();
        // The result events of the jobs the cancel ended went out through the bus, once each.
        recorder.Succeeded.Count.ShouldBe((int)status.Succeeded);
        recorder.Failed.Count.ShouldBe((int)status.Failed);
        recorder.Failed.ShouldAllBe(f => f.Error == ErrorKind.BatchCancelled);
        recorder.Succeeded.Select(e => e.JobId).Concat(recorder.Failed.Select(f => f.JobId)).Distinct().Count().ShouldBe(40);
    }

    [Fact]
    public async Task PauseBatch_ThenResume_NoAttemptWhilePausedOtherBatchFlowsNoQuotaHeldThenAllFinishOnce()
    {
        using var calls = new TempDirectory();
        var callLog = calls.File("calls.jsonl");
        await using var pipeline = await EmbeddedPipeline.StartAsync(SlowCatalog(callLog));
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        var publisher = new BatchPublisher(pipeline.Bus);
        await publisher.PublishAsync(WriteBatch(pipeline.Directory, "paused", 30), "b-paused", 30, new BatchFileLimits(), null, default);
        await WaitForAsync(pipeline.Ledger, "b-paused", s => s.Succeeded >= 2, "a few jobs done");

        await SendAsync(pipeline.Bus, new PauseBatch("b-paused"));
        var paused = await WaitForAsync(pipeline.Ledger, "b-paused", s => s.State == BatchState.Paused && s.Dispatched == 0 && s.NotYetReceived == 0, "paused, the attempts in flight finished");
        var callsAtPause = CallLog.Read(callLog).Count;

        // Another batch runs to the end meanwhile, through the same deployment.
        await publisher.PublishAsync(WriteBatch(pipeline.Directory, "other", 12), "b-other", 12, new BatchFileLimits(), null, default);
        var other = await pipeline.WaitForBatchAsync("b-other");
        await Task.Delay(500);
        var stillPaused = await pipeline.Ledger.GetBatchStatusAsync("b-paused", default);
        var pausedIds = (await pipeline.Ledger.ListParkedJobsAsync("b-paused", "", 1000, default)).Select(j => Guid.Parse(j.JobId)).ToHashSet();
        var usage = pipeline.Services.GetRequiredService<QuotaBook>().Usage().Single();
        var waiting = pipeline.Services.GetRequiredService<DispatchGate>().Waiting;
        var callsWhilePaused = CallLog.Read(callLog).Count;

        await SendAsync(pipeline.Bus, new ResumeBatch("b-paused"));
        var resumed = await pipeline.WaitForBatchAsync("b-paused");
        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Count >= 42, "every result event");
        await Task.Delay(300);

        other.Succeeded.ShouldBe(12);
        stillPaused!.State.ShouldBe(BatchState.Paused);
        stillPaused.Succeeded.ShouldBe(paused.Succeeded, "no job of the paused batch ended while it was paused");
        stillPaused.Queued.ShouldBe(30 - paused.Succeeded, "its jobs stayed queued, none lost");
        stillPaused.Dispatched.ShouldBe(0);
        pausedIds.Count.ShouldBe((int)stillPaused.Queued, "every queued job of it was put aside, none held in memory");
        callsWhilePaused.ShouldBe(callsAtPause + 12, "while paused only the other batch's jobs reached the provider");
        usage.InFlight.ShouldBe(0, "a paused batch holds no quota");
        waiting.ShouldBe(0, "no job of the paused batch waits for quota");
        resumed.State.ShouldBe(BatchState.Completed);
        resumed.Succeeded.ShouldBe(30);
        resumed.Failed.ShouldBe(0);
        var received = CallLog.Read(callLog);
        received.Count.ShouldBe(42, "every job was called once: none lost, none sent twice");
        received.Select(c => c.JobId).Distinct().Count().ShouldBe(42);
        recorder.Succeeded.Select(s => s.JobId).Distinct().Count().ShouldBe(42);
        recorder.Failed.ShouldBeEmpty();
    }

    [Fact]
    public async Task CancelBatch_WhilePaused_EndsItsQueuedJobsBatchCancelled()
    {
        using var calls = new TempDirectory();
        await using var pipeline = await EmbeddedPipeline.StartAsync(SlowCatalog(calls.File("calls.jsonl")));
        await new BatchPublisher(pipeline.Bus).PublishAsync(WriteBatch(pipeline.Directory, "pc", 20), "b-pc", 20, new BatchFileLimits(), null, default);
        await WaitForAsync(pipeline.Ledger, "b-pc", s => s.Succeeded >= 1, "a job done");
        await SendAsync(pipeline.Bus, new PauseBatch("b-pc"));
        var paused = await WaitForAsync(pipeline.Ledger, "b-pc", s => s.State == BatchState.Paused && s.Dispatched == 0 && s.NotYetReceived == 0, "paused");

        await SendAsync(pipeline.Bus, new CancelBatch("b-pc"));
        var status = await WaitForAsync(pipeline.Ledger, "b-pc", s => s.IsEnded, "the batch to end");

        status.State.ShouldBe(BatchState.Cancelled);
        status.Succeeded.ShouldBe(paused.Succeeded);
        status.Failed.ShouldBe(20 - paused.Succeeded);
        (await pipeline.Ledger.ListParkedJobsAsync("b-pc", "", 100, default)).ShouldBeEmpty();
    }

    [Fact]
    public async Task CompletionWindow_PassesMidBatch_BatchExpiresWhatFinishedIsKeptTheRestEndBatchExpired()
    {
        using var calls = new TempDirectory();
        var callLog = calls.File("calls.jsonl");
        await using var pipeline = await EmbeddedPipeline.StartAsync(SlowCatalog(callLog));
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        var file = WriteBatch(pipeline.Directory, "expiry", 40);

        await new BatchPublisher(pipeline.Bus).PublishAsync(file, "b-expiry", 40, new BatchFileLimits(), null, default, completionWindow: TimeSpan.FromSeconds(2));
        var status = await WaitForAsync(pipeline.Ledger, "b-expiry", s => s.IsEnded, "the batch to end", TimeSpan.FromSeconds(30));
        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Count + recorder.Failed.Count >= 40, "every result event");
        var files = await new BatchResultWriter(pipeline.Ledger).WriteAsync("b-expiry", pipeline.Directory.File("out"), default);

        status.State.ShouldBe(BatchState.Expired);
        status.ExpiresAt.ShouldNotBeNull();
        status.Succeeded.ShouldBeGreaterThan(0, "what finished before the window ended is kept");
        status.Failed.ShouldBeGreaterThan(0);
        (status.Succeeded + status.Failed).ShouldBe(40);
        recorder.Failed.ShouldAllBe(f => f.Error == ErrorKind.BatchExpired);
        ErrorLines(files).ShouldAllBe(e => e.GetProperty("error").GetProperty("code").GetString() == "batch_expired");
        ErrorLines(files).Count.ShouldBe((int)status.Failed);
        // No call started after the window ended; each that started was kept.
        var expiresAt = DateTimeOffset.Parse(status.ExpiresAt!, System.Globalization.CultureInfo.InvariantCulture);
        var received = CallLog.Read(callLog);
        received.Count.ShouldBe((int)status.Succeeded);
        received.ShouldAllBe(c => c.At <= expiresAt + TimeSpan.FromSeconds(1));
        pipeline.Services.GetRequiredService<QuotaBook>().Usage().Single().InFlight.ShouldBe(0);
    }
}
