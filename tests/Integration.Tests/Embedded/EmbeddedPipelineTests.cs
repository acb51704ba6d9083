using System.Text.Json;
using Dispatcher.Contracts;
using Dispatcher.Dispatching;
using Dispatcher.Ledger;
using Dispatcher.Monitoring;
using Dispatcher.Quotas;
using Dispatcher.Batches;
using Dispatcher.ResultFiles;
using Dispatcher.Tests.Support;
using Integration.Tests.Faults;
using Integration.Tests.Support;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Integration.Tests.Embedded;

public sealed class EmbeddedPipelineTests
{
    private static JsonElement Body(string model = "gpt-test", string text = "hello") =>
        JsonSerializer.SerializeToElement(new { model, messages = new[] { new { role = "user", content = text } }, max_tokens = 16, extra_field = new { kept = true } });

    private static async Task SendAsync(IBus bus, SubmitCompletion job)
    {
        var intake = await bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Intake));
        await intake.Send(job);
    }

    private static string WriteBatchFile(TempDirectory dir, int lines, string model = "gpt-test")
    {
        var path = dir.File("batch.jsonl");
        File.WriteAllLines(path, Enumerable.Range(1, lines).Select(i => JsonSerializer.Serialize(new
        {
            custom_id = $"req-{i}",
            method = "POST",
            url = "/v1/chat/completions",
            body = new { model, messages = new[] { new { role = "user", content = $"question {i}" } }, max_tokens = 32 },
        })));
        return path;
    }

    [Fact]
    public async Task Batch_ThroughEmbeddedPipeline_OneResultLinePerCustomIdSpreadOverDeployments()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(new
        {
            Deployments = new[] { EmbeddedPipeline.Simulated("d1"), EmbeddedPipeline.Simulated("d2"), EmbeddedPipeline.Simulated("d3") },
        });
        var file = WriteBatchFile(pipeline.Directory, 300);

        var sent = await new BatchPublisher(pipeline.Bus).PublishAsync(file, "batch-e2e", 300, new BatchFileLimits(), null, default);
        var status = await pipeline.WaitForBatchAsync("batch-e2e");
        var files = await new BatchResultWriter(pipeline.Ledger).WriteAsync("batch-e2e", pipeline.Directory.File("out"), default);

        sent.ShouldBe(300);
        status.Succeeded.ShouldBe(300);
        status.Failed.ShouldBe(0);
        status.Cost.ShouldBeGreaterThan(0);
        var lines = File.ReadAllLines(files.OutputPath).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        lines.Count.ShouldBe(300);
        lines.Select(l => l.GetProperty("custom_id").GetString()).Distinct().Count().ShouldBe(300);
        lines.ShouldAllBe(l => l.GetProperty("response").GetProperty("status_code").GetInt32() == 200);
        lines.ShouldAllBe(l => l.GetProperty("response").GetProperty("body").GetProperty("usage").GetProperty("completion_tokens").GetInt32() > 0);
        File.ReadAllLines(files.ErrorPath).ShouldBeEmpty();
        var shares = await pipeline.Ledger.GetDeploymentSharesAsync("batch-e2e", default);
        shares.Select(s => s.DeploymentId).OrderBy(x => x).ShouldBe(["d1", "d2", "d3"]);
    }

    [Fact]
    public async Task SubmitCompletion_SameCustomIdTwiceInBatch_YieldsOneResult()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(new { Deployments = new[] { EmbeddedPipeline.Simulated("d1") } });
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);

        await SendAsync(pipeline.Bus, new SubmitCompletion("dup", "gpt-test", Body(), "b-dup", Guid.NewGuid()));
        await SendAsync(pipeline.Bus, new SubmitCompletion("dup", "gpt-test", Body(), "b-dup", Guid.NewGuid()));
        await SendAsync(pipeline.Bus, new SubmitCompletion("other", "gpt-test", Body(), "b-dup", Guid.NewGuid()));
        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Any(s => s.CustomId == "other"), "the second job's result");
        await Task.Delay(300);

        recorder.Succeeded.Count(s => s.CustomId == "dup").ShouldBe(1);
        var status = await pipeline.Ledger.GetBatchStatusAsync("b-dup", default);
        status!.Succeeded.ShouldBe(2);
    }

    [Fact]
    public async Task SubmitCompletion_RepublishedWhileItsCallIsInFlight_CalledOnceCountedOnceAndQuotaGivenBack()
    {
        using var calls = new TempDirectory();
        var callLog = calls.File("calls.jsonl");
        await using var pipeline = await EmbeddedPipeline.StartAsync(new
        {
            Deployments = new[]
            {
                new
                {
                    Id = "slow", ModelGroup = "gpt-test", Provider = "Simulated", MaxParallel = 8, Rpm = 600,
                    Simulation = new { LatencyMs = 600, LatencySigma = 0.0, Seed = 1, CallLogPath = callLog },
                },
            },
        });
        using var metrics = new MeasurementRecorder(pipeline.Services.GetRequiredService<DispatcherInstrumentation>().Meter);
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        var job = new SubmitCompletion("again", "gpt-test", Body(), "b-republish", Guid.NewGuid());
        var messageId = job.JobId;
        var intake = await pipeline.Bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Intake));

        // An at-least-once producer sends the job, does not hear back in time, and sends it again
        // with the same message id while the provider is still answering the first.
        await intake.Send(job, c => c.MessageId = messageId);
        await EventRecorder.EventuallyAsync(() => CallsLogged(callLog) == 1, "the first call");
        await intake.Send(job, c => c.MessageId = messageId);
        await EventRecorder.EventuallyAsync(() => !recorder.Succeeded.IsEmpty, "the result");
        await Task.Delay(1500);

        CallLog.Read(callLog).Count.ShouldBe(1, "the republished job must not be sent to the provider again");
        recorder.Succeeded.Count.ShouldBe(1);
        recorder.Failed.ShouldBeEmpty();
        metrics.Sum("dispatcher.jobs.submitted").ShouldBe(1);
        pipeline.Services.GetRequiredService<QuotaBook>().Usage().Single().InFlight.ShouldBe(0);
        var stored = await pipeline.Ledger.GetJobAsync(job.JobId.ToString(), default);
        stored!.State.ShouldBe(JobState.Succeeded);
        stored.Attempts.ShouldBe(1);
    }

    // The calls the simulated provider logged so far; none while it holds the file to write a line.
    private static int CallsLogged(string path)
    {
        try
        {
            return CallLog.Read(path).Count;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    [Fact]
    public async Task SubmitCompletion_UnknownModelGroup_EndsWithFailedResultNamingTheGroup()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(new { Deployments = new[] { EmbeddedPipeline.Simulated("d1") } });
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);

        await SendAsync(pipeline.Bus, new SubmitCompletion("x", "no-such-model", Body("no-such-model")));
        await EventRecorder.EventuallyAsync(() => !recorder.Failed.IsEmpty, "a failed result");

        var failed = recorder.Failed.Single();
        failed.Error.ShouldBe(ErrorKind.NoDeployment);
        failed.Message.ShouldContain("no-such-model");
    }

    [Fact]
    public async Task SubmitCompletion_OneDeploymentAlwaysFails_RetriesOnTheHealthyOne()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(new
        {
            Deployments = new[] { EmbeddedPipeline.Simulated("broken", errorRate: 1), EmbeddedPipeline.Simulated("healthy") },
        });
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);

        for (var i = 0; i < 20; i++)
        {
            await SendAsync(pipeline.Bus, new SubmitCompletion($"j{i}", "gpt-test", Body(), "b-retry", Guid.NewGuid()));
        }

        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Count + recorder.Failed.Count >= 20, "20 results");

        recorder.Failed.ShouldBeEmpty();
        recorder.Succeeded.ShouldAllBe(s => s.DeploymentId == "healthy");
        recorder.Succeeded.ShouldContain(s => s.Attempts == 2);
    }

    [Fact]
    public async Task SubmitCompletion_EveryDeploymentFails_FailsAfterMaxAttemptsWithHistory()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(new
        {
            Deployments = new[] { EmbeddedPipeline.Simulated("a", errorRate: 1), EmbeddedPipeline.Simulated("b", errorRate: 1) },
            ModelGroups = new[] { new { Name = "gpt-test", MaxAttempts = 3 } },
        });
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);

        await SendAsync(pipeline.Bus, new SubmitCompletion("doomed", "gpt-test", Body(), "b-fail", Guid.NewGuid()));
        await EventRecorder.EventuallyAsync(() => !recorder.Failed.IsEmpty, "a failed result");

        var failed = recorder.Failed.Single();
        failed.Error.ShouldBe(ErrorKind.ServerError);
        failed.History.Count.ShouldBe(3);
        failed.History.Select(h => h.Attempt).ShouldBe([1, 2, 3]);
        failed.History.Take(2).Select(h => h.DeploymentId).Distinct().Count().ShouldBe(2);
        failed.Message.ShouldContain("3 attempt");
    }

    [Fact]
    public async Task SubmitCompletion_OnlyDeploymentFails_RetryWaitsOutTheBackoffDelayThenDeadLetters()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(new
        {
            Deployments = new[] { EmbeddedPipeline.Simulated("only", errorRate: 1) },
            ModelGroups = new[] { new { Name = "gpt-test", MaxAttempts = 2, Retry = new { BaseDelaySeconds = 0.6, Jitter = 0.0 } } },
        });
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        var jobId = Guid.NewGuid();

        await SendAsync(pipeline.Bus, new SubmitCompletion("retried", "gpt-test", Body(), "b-retry", jobId));
        await EventRecorder.EventuallyAsync(() => !recorder.Failed.IsEmpty, "a failed result");

        recorder.Failed.Single().History.Count.ShouldBe(2);
        await using var ledger = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={pipeline.Directory.File("ledger.db")}");
        var times = (await Dapper.SqlMapper.QueryAsync<(string Sent, string Recorded)>(
            ledger, "SELECT dispatched_at, recorded_at FROM attempts WHERE job_id = @id ORDER BY attempt", new { id = jobId.ToString() })).ToList();
        var waited = DateTimeOffset.Parse(times[1].Sent, System.Globalization.CultureInfo.InvariantCulture)
            - DateTimeOffset.Parse(times[0].Recorded, System.Globalization.CultureInfo.InvariantCulture);
        waited.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(550), "the retry waits its delay on the in-memory transport too");
    }

    [Fact]
    public async Task SubmitCompletion_Rate429MoreOftenThanMaxAttempts_EveryJobSucceeds()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(new
        {
            Deployments = new[] { EmbeddedPipeline.Simulated("busy", rateLimitRate: 0.75) },
            ModelGroups = new[] { new { Name = "gpt-test", MaxAttempts = 2, Retry = new { BaseDelaySeconds = 0.01, MaxDelaySeconds = 0.02 } } },
        });
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);

        for (var i = 0; i < 20; i++)
        {
            await SendAsync(pipeline.Bus, new SubmitCompletion($"j{i}", "gpt-test", Body(), "b-429", Guid.NewGuid()));
        }

        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Count + recorder.Failed.Count >= 20, "20 results");

        recorder.Failed.ShouldBeEmpty();
        recorder.Succeeded.Count.ShouldBe(20);
        recorder.Succeeded.Max(s => s.Attempts).ShouldBeGreaterThan(2, "some job was rate-limited more often than its MaxAttempts");
    }

    [Fact]
    public async Task SubmitCompletion_ContextLengthExceeded_FallsBackToTheGroupWithALargerWindow()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(new
        {
            Deployments = new object[]
            {
                // The catalog overstates this model's window; the provider refuses the long job.
                new { Id = "short", ModelGroup = "gpt-test", Provider = "Simulated", ContextWindow = 8_000, Simulation = new { LatencyMs = 0, ContextLimit = 100 } },
                new { Id = "same-size", ModelGroup = "other", Provider = "Simulated", ContextWindow = 8_000, Simulation = new { LatencyMs = 0 } },
                new { Id = "long", ModelGroup = "gpt-test-long", Provider = "Simulated", ContextWindow = 200_000, Simulation = new { LatencyMs = 0 } },
            },
            ModelGroups = new object[]
            {
                new { Name = "gpt-test", ContextWindowFallbacks = new[] { "other", "gpt-test-long" } },
                new { Name = "other" },
                new { Name = "gpt-test-long" },
            },
        });
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        var body = JsonDocument.Parse("""{"model":"gpt-test","messages":[{"role":"user","content":"a long document"}],"max_tokens":500}""").RootElement;

        await SendAsync(pipeline.Bus, new SubmitCompletion("long-job", "gpt-test", body, "b-ctx", Guid.NewGuid()));
        await EventRecorder.EventuallyAsync(() => !recorder.Succeeded.IsEmpty || !recorder.Failed.IsEmpty, "a result");

        recorder.Failed.ShouldBeEmpty();
        var result = recorder.Succeeded.Single();
        result.DeploymentId.ShouldBe("long", "only a deployment with a larger window than the one that refused can help");
        result.Attempts.ShouldBe(2);
    }

    [Fact]
    public async Task CompletionAttempted_DuplicateSuccessReport_DoesNotPublishASecondResult()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(new { Deployments = new[] { EmbeddedPipeline.Simulated("d1") } });
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        var jobId = Guid.NewGuid();
        await SendAsync(pipeline.Bus, new SubmitCompletion("once", "gpt-test", Body(), "b-once", jobId));
        await EventRecorder.EventuallyAsync(() => !recorder.Succeeded.IsEmpty, "the result");

        var outcomes = await pipeline.Bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Outcomes));
        var first = recorder.Succeeded.Single();
        await outcomes.Send(new CompletionAttempted(jobId, "d1", 1, ErrorKind.None, 200, first.Response, first.Usage, 1));
        await outcomes.Send(new CompletionAttempted(jobId, "d1", 2, ErrorKind.ServerError, 500, null, null, 1, "late failure"));
        await Task.Delay(500);

        recorder.Succeeded.Count.ShouldBe(1);
        recorder.Failed.ShouldBeEmpty();
        (await pipeline.Ledger.GetJobAsync(jobId.ToString(), default))!.State.ShouldBe(JobState.Succeeded);
    }

    [Fact]
    public async Task CompletionAttempted_SameSuccessTwiceAtOnceWhileHeldInMemory_EndsTheJobOncePublishingOneResult()
    {
        // The simulated provider answers after 10 min; the reports below are the only ones.
        await using var pipeline = await EmbeddedPipeline.StartAsync(new { Deployments = new[] { EmbeddedPipeline.Simulated("slow", latencyMs: 600_000) } });
        using var metrics = new MeasurementRecorder(pipeline.Services.GetRequiredService<DispatcherInstrumentation>().Meter);
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        var jobId = Guid.NewGuid();
        await SendAsync(pipeline.Bus, new SubmitCompletion("twice-at-once", "gpt-test", Body(), "b-twice-at-once", jobId));
        var inFlight = pipeline.Services.GetRequiredService<InFlightJobs>();
        await EventRecorder.EventuallyAsync(() => inFlight.Find(jobId.ToString()) is not null, "the job held as sent");

        var outcomes = await pipeline.Bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Outcomes));
        var success = new CompletionAttempted(jobId, "slow", 1, ErrorKind.None, 200, Body(), new TokenUsage(5, 7), 1);
        await Task.WhenAll(outcomes.Send(success), outcomes.Send(success));
        await EventRecorder.EventuallyAsync(() => !recorder.Succeeded.IsEmpty, "the result");
        await Task.Delay(500);

        var result = recorder.Succeeded.ShouldHaveSingleItem();
        (result.CustomId, result.BatchId, result.DeploymentId, result.Usage).ShouldBe(("twice-at-once", "b-twice-at-once", "slow", new TokenUsage(5, 7)));
        var job = (await pipeline.Ledger.GetJobAsync(jobId.ToString(), default))!;
        (job.State, job.ResultPublished, job.CompletionTokens).ShouldBe((JobState.Succeeded, 1L, 7L));
        metrics.Count("dispatcher.provider.latency").ShouldBe(1, "the attempt is settled once");
        inFlight.Find(jobId.ToString()).ShouldBeNull("the job ended");
    }

    [Fact]
    public async Task CompletionAttempted_SuccessOfAJobNotHeldInMemory_EndsItFromTheLedgerOnceAndARedeliveryPublishesNothing()
    {
        // As after a restart, or on a dispatcher that took the share over: nothing of the job is held.
        await using var pipeline = await EmbeddedPipeline.StartAsync(new { Deployments = new[] { EmbeddedPipeline.Simulated("slow", latencyMs: 600_000) } });
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        var jobId = Guid.NewGuid();
        await SendAsync(pipeline.Bus, new SubmitCompletion("not-held", "gpt-test", Body(), "b-not-held", jobId));
        var inFlight = pipeline.Services.GetRequiredService<InFlightJobs>();
        await EventRecorder.EventuallyAsync(() => inFlight.Find(jobId.ToString()) is not null, "the job held as sent");
        inFlight.Remove(jobId.ToString(), 1);

        var outcomes = await pipeline.Bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Outcomes));
        var success = new CompletionAttempted(jobId, "slow", 1, ErrorKind.None, 200, Body(), new TokenUsage(5, 7), 1);
        await outcomes.Send(success);
        await EventRecorder.EventuallyAsync(() => !recorder.Succeeded.IsEmpty, "the result");
        await outcomes.Send(success);
        await Task.Delay(500);

        var result = recorder.Succeeded.ShouldHaveSingleItem();
        (result.CustomId, result.BatchId, result.DeploymentId, result.Usage).ShouldBe(("not-held", "b-not-held", "slow", new TokenUsage(5, 7)));
        (await pipeline.Ledger.GetJobAsync(jobId.ToString(), default))!.ResultPublished.ShouldBe(1);
    }

    [Fact]
    public async Task CompletionAttempted_SuccessReportingImpossibleUsage_IsBilledAtMostWhatTheRequestAllows()
    {
        // The simulated provider answers after 4 s; the report below arrives first.
        await using var pipeline = await EmbeddedPipeline.StartAsync(new { Deployments = new[] { EmbeddedPipeline.Simulated("slow", latencyMs: 4_000) } });
        using var metrics = new MeasurementRecorder(pipeline.Services.GetRequiredService<DispatcherInstrumentation>().Meter);
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        var jobId = Guid.NewGuid();
        await SendAsync(pipeline.Bus, new SubmitCompletion("absurd", "gpt-test", Body(), "b-absurd", jobId));
        await EventRecorder.EventuallyAsync(
            () => pipeline.Ledger.GetJobAsync(jobId.ToString(), default).GetAwaiter().GetResult() is { State: JobState.Dispatched },
            "the job's first attempt to be sent");

        var outcomes = await pipeline.Bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Outcomes));
        var response = JsonSerializer.SerializeToElement(new { @object = "chat.completion", choices = new[] { new { index = 0, message = new { role = "assistant", content = "ok" } } } });
        await outcomes.Send(new CompletionAttempted(jobId, "slow", 1, ErrorKind.None, 200, response, new TokenUsage(int.MaxValue, int.MaxValue), 1));
        await EventRecorder.EventuallyAsync(() => !recorder.Succeeded.IsEmpty, "the result");

        // Prompt at most the context window (128,000), completion at most max_tokens (16), at 1 and 2 per million.
        var result = recorder.Succeeded.Single();
        result.Usage.ShouldBe(new TokenUsage(128_000, 16));
        result.Cost.ShouldBe(0.128032m);
        var job = (await pipeline.Ledger.GetJobAsync(jobId.ToString(), default))!;
        job.PromptTokens.ShouldBe(128_000);
        job.CompletionTokens.ShouldBe(16);
        job.Cost.ShouldBe(0.128032m);
        metrics.Sum("dispatcher.usage_clamped", "deployment=slow").ShouldBe(1);
        metrics.Sum("dispatcher.tokens", "direction=input").ShouldBe(128_000);
        metrics.Sum("dispatcher.cost").ShouldBe(0.128032, 1e-9);
    }

    [Fact]
    public async Task SubmitCompletion_InvalidMessage_IsFaultedAndIntakeKeepsWorking()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(new { Deployments = new[] { EmbeddedPipeline.Simulated("d1") } });
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);

        await SendAsync(pipeline.Bus, new SubmitCompletion("", "gpt-test", Body()));
        await SendAsync(pipeline.Bus, new SubmitCompletion("fine", "gpt-test", Body()));
        await EventRecorder.EventuallyAsync(() => !recorder.IntakeFaults.IsEmpty && !recorder.Succeeded.IsEmpty, "a fault and a result");

        recorder.IntakeFaults.Single().Exceptions[0].Message.ShouldContain("customId");
        recorder.Succeeded.Single().CustomId.ShouldBe("fine");
    }

    [Fact]
    public async Task SubmitCompletions_Chunk_EachJobEndsWithItsOwnResult()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(new { Deployments = new[] { EmbeddedPipeline.Simulated("d1"), EmbeddedPipeline.Simulated("d2") } });
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        var jobs = Enumerable.Range(1, 40).Select(i => new SubmitCompletion($"c-{i}", "gpt-test", Body(text: $"q{i}"), "b-chunk", Guid.NewGuid())).ToList();

        var intake = await pipeline.Bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Intake));
        await intake.Send(new SubmitCompletions(jobs));
        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Count(s => s.BatchId == "b-chunk") == 40, "40 results");

        recorder.Succeeded.Select(s => s.CustomId).OrderBy(x => x).ShouldBe(jobs.Select(j => j.CustomId).OrderBy(x => x));
        recorder.Succeeded.Select(s => s.JobId).ShouldBe(jobs.Select(j => j.JobId), ignoreOrder: true);
        recorder.ChunkFaults.ShouldBeEmpty();
    }

    [Fact]
    public async Task SubmitCompletions_ChunkWithAnInvalidJob_IsRefusedWholeNamingTheJob()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(new { Deployments = new[] { EmbeddedPipeline.Simulated("d1") } });
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        var notAnObject = JsonSerializer.SerializeToElement("just text");
        var okId = Guid.NewGuid();

        var intake = await pipeline.Bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Intake));
        await intake.Send(new SubmitCompletions(
        [
            new SubmitCompletion("ok-1", "gpt-test", Body(), "b-bad-chunk", okId),
            new SubmitCompletion("broken", "gpt-test", notAnObject, "b-bad-chunk", Guid.NewGuid()),
        ]));
        await SendAsync(pipeline.Bus, new SubmitCompletion("after", "gpt-test", Body(), "b-after", Guid.NewGuid()));
        await EventRecorder.EventuallyAsync(() => !recorder.ChunkFaults.IsEmpty && recorder.Succeeded.Any(s => s.CustomId == "after"), "a fault and the next job's result");

        recorder.ChunkFaults.Single().Exceptions[0].Message.ShouldContain("jobs[1] job broken, field body");
        (await pipeline.Ledger.GetJobAsync(okId.ToString(), default)).ShouldBeNull();
        recorder.Succeeded.ShouldNotContain(s => s.BatchId == "b-bad-chunk");
    }

    [Fact]
    public async Task SubmitCompletion_DeadlinePassed_FailsWithoutCallingAProvider()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(new { Deployments = new[] { EmbeddedPipeline.Simulated("d1") } });
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);

        await SendAsync(pipeline.Bus, new SubmitCompletion("late", "gpt-test", Body(), Deadline: DateTimeOffset.UtcNow.AddMinutes(-1)));
        await EventRecorder.EventuallyAsync(() => !recorder.Failed.IsEmpty, "a failed result");

        recorder.Failed.Single().Error.ShouldBe(ErrorKind.DeadlineExceeded);
        recorder.Failed.Single().History.ShouldBeEmpty();
    }

    [Fact]
    public async Task SubmitCompletion_UnknownBodyFields_ReachTheProviderAndModelIsTheDeployments()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(new { Deployments = new[] { EmbeddedPipeline.Simulated("d1") } });
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        var jobId = Guid.NewGuid();

        await SendAsync(pipeline.Bus, new SubmitCompletion("fields", "gpt-test", Body(), JobId: jobId));
        await EventRecorder.EventuallyAsync(() => !recorder.Succeeded.IsEmpty, "the result");

        var stored = await pipeline.Ledger.GetJobAsync(jobId.ToString(), default);
        stored!.RouteReason.ShouldBe("round-robin chose d1 of 1 candidate(s); 0 filtered out or over quota");
        JsonDocument.Parse(stored.Body).RootElement.GetProperty("extra_field").GetProperty("kept").GetBoolean().ShouldBeTrue();
        recorder.Succeeded.Single().Response.GetProperty("model").GetString().ShouldBe("gpt-test");
    }

    [Fact]
    public async Task SubmitCompletion_GroupFailsEverywhere_FallsBackAlongTheChain()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(new
        {
            Deployments = new[]
            {
                EmbeddedPipeline.Simulated("primary", errorRate: 1),
                EmbeddedPipeline.Simulated("backup", group: "gpt-backup"),
            },
            ModelGroups = new object[]
            {
                new { Name = "gpt-test", Fallbacks = new[] { "gpt-backup" } },
                new { Name = "gpt-backup" },
            },
        });
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);

        for (var i = 0; i < 5; i++)
        {
            await SendAsync(pipeline.Bus, new SubmitCompletion($"fb{i}", "gpt-test", Body(), "b-fallback", Guid.NewGuid()));
        }

        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Count + recorder.Failed.Count >= 5, "5 results");

        recorder.Failed.ShouldBeEmpty();
        recorder.Succeeded.ShouldAllBe(s => s.DeploymentId == "backup" && s.Attempts == 2 && s.ModelGroup == "gpt-test");
    }
}
