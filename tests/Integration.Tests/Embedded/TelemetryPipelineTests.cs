using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Dispatcher.Contracts;
using Dispatcher.Monitoring;
using Dispatcher.ServiceDefaults.Telemetry;
using Dispatcher.Tests.Support;
using Dispatcher.Workers.Monitoring;
using Integration.Tests.Support;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Integration.Tests.Embedded;

public sealed class TelemetryPipelineTests
{
    private static JsonElement Body() =>
        JsonSerializer.SerializeToElement(new { model = "gpt-test", messages = new[] { new { role = "user", content = "hello" } }, max_tokens = 16 });

    private static async Task SendAsync(IBus bus, SubmitCompletion job)
    {
        var intake = await bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Intake));
        await intake.Send(job);
    }

    [Fact]
    public async Task Job_ThroughEmbeddedPipeline_SubmitRoutingAndWorkerCallSpansShareOneTrace()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is DispatcherInstrumentation.Name or WorkerInstrumentation.Name or TelemetrySignals.MassTransit,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var pipeline = await EmbeddedPipeline.StartAsync(new
        {
            Deployments = new[] { EmbeddedPipeline.Simulated("d1"), EmbeddedPipeline.Simulated("d2") },
        });
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        var jobId = Guid.NewGuid();

        await SendAsync(pipeline.Bus, new SubmitCompletion("traced", "gpt-test", Body(), "b-trace", jobId));
        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Any(s => s.JobId == jobId), "the job's result");
        Activity? Span(string name) => stopped.FirstOrDefault(a => a.OperationName == name && (string?)a.GetTagItem("job.id") == jobId.ToString());
        await EventRecorder.EventuallyAsync(() => Span("dispatcher.submit") is not null && Span("dispatcher.route") is not null && Span("worker.call") is not null, "the job's spans");

        var submit = Span("dispatcher.submit")!;
        var route = Span("dispatcher.route")!;
        var call = Span("worker.call")!;
        route.TraceId.ShouldBe(submit.TraceId);
        call.TraceId.ShouldBe(submit.TraceId);
        route.GetTagItem("routing.deployment").ShouldBeOneOf("d1", "d2");
        route.GetTagItem("routing.deployment").ShouldBe(call.GetTagItem("deployment"));
        route.GetTagItem("routing.strategy").ShouldNotBeNull();
        route.GetTagItem("routing.candidates").ShouldBe(2);
        ((string)route.GetTagItem("routing.reason")!).ShouldContain("chose");
        call.GetTagItem("outcome").ShouldBe("None");
        // MassTransit's own send and consume spans carry the trace between the parts.
        stopped.Count(a => a.Source.Name == TelemetrySignals.MassTransit && a.TraceId == submit.TraceId).ShouldBeGreaterThanOrEqualTo(4);
    }

    [Fact]
    public async Task Batch_ThroughEmbeddedPipeline_CountsJobsTokensCostAndWorkerCalls()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(new
        {
            Deployments = new[] { EmbeddedPipeline.Simulated("d1"), EmbeddedPipeline.Simulated("d2") },
        });
        using var metrics = new MeasurementRecorder(
            pipeline.Services.GetRequiredService<DispatcherInstrumentation>().Meter,
            pipeline.Services.GetRequiredService<WorkerInstrumentation>().Meter);
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);

        for (var i = 0; i < 20; i++)
        {
            await SendAsync(pipeline.Bus, new SubmitCompletion($"m{i}", "gpt-test", Body(), "b-metrics", Guid.NewGuid()));
        }

        await SendAsync(pipeline.Bus, new SubmitCompletion("nowhere", "no-such-group", Body(), "b-metrics", Guid.NewGuid()));
        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Count == 20 && recorder.Failed.Count == 1, "21 results");
        await EventRecorder.EventuallyAsync(() => metrics.Sum("dispatcher.jobs.succeeded") == 20 && metrics.Sum("dispatcher.jobs.failed") == 1, "counted results");
        metrics.Observe();

        metrics.Sum("dispatcher.jobs.submitted", "model_group=gpt-test").ShouldBe(20);
        metrics.Sum("dispatcher.jobs.routed", "model_group=gpt-test").ShouldBe(20);
        metrics.Sum("dispatcher.jobs.routed", "deployment=d1").ShouldBeGreaterThan(0);
        metrics.Sum("dispatcher.jobs.failed", "model_group=no-such-group", "error_kind=NoDeployment").ShouldBe(1);
        metrics.Sum("dispatcher.jobs.dead_lettered", "model_group=no-such-group", "error_kind=NoDeployment").ShouldBe(1);
        metrics.Sum("dispatcher.jobs.retried").ShouldBe(0);
        metrics.Sum("dispatcher.jobs.fell_back").ShouldBe(0);
        metrics.Sum("dispatcher.tokens", "direction=input").ShouldBe(recorder.Succeeded.Sum(s => s.Usage!.PromptTokens));
        metrics.Sum("dispatcher.tokens", "direction=output").ShouldBe(recorder.Succeeded.Sum(s => s.Usage!.CompletionTokens));
        metrics.Sum("dispatcher.cost").ShouldBe((double)recorder.Succeeded.Sum(s => s.Cost), 1e-9);
        metrics.Count("dispatcher.provider.latency").ShouldBe(20);
        metrics.Sum("worker.calls", "outcome=None").ShouldBe(20);
        metrics.Count("worker.call.duration").ShouldBe(20);
        metrics.Sum("worker.inflight").ShouldBe(0);
        metrics.Sum("dispatcher.inflight").ShouldBe(0);
        metrics.Count("dispatcher.quota.fill", "deployment=d1", "bucket=tokens").ShouldBe(1);
        metrics.Sum("dispatcher.jobs.waiting").ShouldBe(0);
        metrics.Count("dispatcher.breaker.state", "deployment=d1").ShouldBe(1);
        metrics.Sum("dispatcher.breaker.state", "deployment=d1").ShouldBe(0);
    }

    [Fact]
    public async Task Job_FailsInGroupThenFallsBack_CountsRetryAndFallback()
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
        using var metrics = new MeasurementRecorder(
            pipeline.Services.GetRequiredService<DispatcherInstrumentation>().Meter,
            pipeline.Services.GetRequiredService<WorkerInstrumentation>().Meter);
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);

        for (var i = 0; i < 3; i++)
        {
            await SendAsync(pipeline.Bus, new SubmitCompletion($"fb{i}", "gpt-test", Body(), "b-fallback", Guid.NewGuid()));
        }

        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Count == 3, "3 results");
        await EventRecorder.EventuallyAsync(() => metrics.Sum("dispatcher.jobs.succeeded") == 3, "counted results");

        metrics.Sum("dispatcher.jobs.retried", "deployment=primary", "model_group=gpt-test", "error_kind=ServerError").ShouldBe(3);
        metrics.Sum("dispatcher.jobs.fell_back", "model_group=gpt-test", "to_group=gpt-backup").ShouldBe(3);
        metrics.Sum("dispatcher.jobs.succeeded", "deployment=backup", "model_group=gpt-test").ShouldBe(3);
        metrics.Sum("worker.calls", "deployment=primary", "outcome=ServerError").ShouldBe(3);
        metrics.Sum("worker.calls", "deployment=backup", "outcome=None").ShouldBe(3);
    }
}
