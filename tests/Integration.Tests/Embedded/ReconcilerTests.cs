using System.Text.Json;
using Dispatcher.Contracts;
using Dispatcher.Ledger;
using Dispatcher.Reconciling;
using Dispatcher.Workers.Hosting;
using Integration.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Integration.Tests.Embedded;

/// <summary>
/// Jobs nothing works on any more are found in the ledger and put back in the flow: every job
/// ends, whatever message was lost on the way.
/// </summary>
public sealed class ReconcilerTests
{
    private static readonly JsonElement Body =
        JsonSerializer.SerializeToElement(new { model = "gpt-test", messages = new[] { new { role = "user", content = "hi" } }, max_tokens = 8 });

    [Fact]
    public async Task Attempt_SentToADeploymentNoWorkerServes_IsRedrivenAfterItsLeaseAndEndsOnAServedOne()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(
            new
            {
                Deployments = new object[] { Deployment("unserved", priority: 0), Deployment("served", priority: 1) },
                ModelGroups = new[] { new { Name = "gpt-test", Strategy = "priority" } },
            },
            services =>
            {
                services.Configure<ReconcilerOptions>(o =>
                {
                    o.Interval = TimeSpan.FromMilliseconds(200);
                    o.QueueAllowance = TimeSpan.FromMilliseconds(300);
                    o.ReportGrace = TimeSpan.Zero;
                });
                // No worker takes unserved's queue, as when its workers are down: the attempt waits there.
                services.Configure<WorkerOptions>(o => o.Deployments = ["served"]);
            });
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);

        var intake = await pipeline.Bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Intake));
        await intake.Send(new SubmitCompletion("stranded", "gpt-test", Body, "b-reconcile", Guid.NewGuid()));

        await EventRecorder.EventuallyAsync(() => !recorder.Succeeded.IsEmpty, "the job's result", TimeSpan.FromSeconds(30));
        var result = recorder.Succeeded.Single();
        result.DeploymentId.ShouldBe("served");
        var attempts = await pipeline.Ledger.GetAttemptsAsync(result.JobId.ToString(), default);
        attempts.Select(a => (a.DeploymentId, a.ErrorKind)).ShouldBe([("unserved", nameof(ErrorKind.Timeout)), ("served", nameof(ErrorKind.None))]);
        attempts[0].Message!.ShouldContain("lease");
    }

    [Fact]
    public async Task ReconcileAsync_AttemptWithinItsLease_IsLeftAlone()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(
            new
            {
                Deployments = new object[] { Deployment("unserved", priority: 0), Deployment("served", priority: 1) },
                ModelGroups = new[] { new { Name = "gpt-test", Strategy = "priority" } },
            },
            services =>
            {
                services.Configure<ReconcilerOptions>(o => o.Interval = TimeSpan.FromHours(1));
                services.Configure<WorkerOptions>(o => o.Deployments = ["served"]);
            });
        var intake = await pipeline.Bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Intake));
        var jobId = Guid.NewGuid();
        await intake.Send(new SubmitCompletion("waiting", "gpt-test", Body, "b-lease", jobId));
        for (var i = 0; i < 100 && (await pipeline.Ledger.GetJobAsync(jobId.ToString(), default))?.State != JobState.Dispatched; i++)
        {
            await Task.Delay(50);
        }

        (await pipeline.Ledger.GetJobAsync(jobId.ToString(), default))!.State.ShouldBe(JobState.Dispatched);

        (await pipeline.Services.GetRequiredService<Reconciler>().ReconcileAsync(default)).ShouldBe(0);
        (await pipeline.Ledger.GetAttemptsAsync(jobId.ToString(), default)).ShouldBeEmpty();
        (await pipeline.Ledger.GetJobAsync(jobId.ToString(), default))!.DeploymentId.ShouldBe("unserved");
    }

    [Fact]
    public async Task Attempt_WaitingForAWorkerPastItsLease_IsNotStartedAndIsTriedAgain()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(
            new { Deployments = new[] { EmbeddedPipeline.Simulated("slow", maxParallel: 1, latencyMs: 1000) } },
            services => services.Configure<ReconcilerOptions>(o =>
            {
                o.Interval = TimeSpan.FromHours(1);
                o.QueueAllowance = TimeSpan.FromMilliseconds(200);
            }));
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        var intake = await pipeline.Bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Intake));

        // One call at a time, a second each: whichever job waits for the slot outlives its lease.
        await intake.Send(new SubmitCompletion("first", "gpt-test", Body, "b-late", Guid.NewGuid()));
        await intake.Send(new SubmitCompletion("second", "gpt-test", Body, "b-late", Guid.NewGuid()));

        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Count == 2, "both results", TimeSpan.FromSeconds(60));
        var attempts = new List<AttemptRow>();
        foreach (var result in recorder.Succeeded)
        {
            attempts.AddRange(await pipeline.Ledger.GetAttemptsAsync(result.JobId.ToString(), default));
        }

        attempts.ShouldContain(a => a.ErrorKind == nameof(ErrorKind.Timeout) && a.Message!.Contains("not started", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Job_AcceptedButNeverSent_IsSentAfterTheQueueAllowance()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(
            new { Deployments = new[] { EmbeddedPipeline.Simulated("d1") } },
            services => services.Configure<ReconcilerOptions>(o =>
            {
                o.Interval = TimeSpan.FromMilliseconds(200);
                o.QueueAllowance = TimeSpan.FromMilliseconds(300);
                o.ReportGrace = TimeSpan.Zero;
            }));
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);

        // Recorded as the intake records a job, whose message then never got further (a crash, an _error queue).
        var jobId = Guid.NewGuid().ToString();
        await pipeline.Ledger.AcceptJobAsync(new NewJob(jobId, "b-orphan", "orphan", "gpt-test", null, 0, null, null, Body.GetRawText(), 4, 8), default);

        await EventRecorder.EventuallyAsync(() => !recorder.Succeeded.IsEmpty, "the orphan's result", TimeSpan.FromSeconds(30));
        recorder.Succeeded.Single().JobId.ToString().ShouldBe(jobId);
    }

    [Fact]
    public async Task Job_EndedWithoutItsResultSent_GetsItsResultPublishedOnceAfterTheReportGrace()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(
            new { Deployments = new[] { EmbeddedPipeline.Simulated("d1") } },
            services => services.Configure<ReconcilerOptions>(o =>
            {
                o.Interval = TimeSpan.FromMilliseconds(200);
                o.ReportGrace = TimeSpan.FromMilliseconds(500);
            }));
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        var intake = await pipeline.Bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Intake));
        await intake.Send(new SubmitCompletion("first", "gpt-test", Body, "b-unsent", Guid.NewGuid()));
        await EventRecorder.EventuallyAsync(() => !recorder.Succeeded.IsEmpty, "the first job's result", TimeSpan.FromSeconds(30));

        // Ended in the ledger by a delivery whose message was then parked in an _error queue before
        // its result event went out.
        var jobId = Guid.NewGuid().ToString();
        await pipeline.Ledger.AcceptJobAsync(new NewJob(jobId, "b-unsent", "stranded", "gpt-test", null, 0, null, null, Body.GetRawText(), 4, 8), default);
        await pipeline.Ledger.CompleteAsync(new JobCompletion(jobId, true, "d1", 1, "{}", 4, 2, 0.001m, null, null, 200, "req-1", 5), default);

        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Any(e => e.JobId.ToString() == jobId), "the stranded job's result", TimeSpan.FromSeconds(30));
        await pipeline.Services.GetRequiredService<Reconciler>().ReconcileAsync(default);
        await Task.Delay(500);

        recorder.Succeeded.Count(e => e.JobId.ToString() == jobId).ShouldBe(1);
        (await pipeline.Ledger.GetJobAsync(jobId, default))!.ResultPublished.ShouldBe(1);
    }

    private static object Deployment(string id, int priority) => new
    {
        Id = id,
        ModelGroup = "gpt-test",
        Provider = "Simulated",
        Priority = priority,
        TimeoutSeconds = 1,
        Simulation = new { LatencyMs = 0, LatencySigma = 0.0, Seed = 1 },
    };
}
