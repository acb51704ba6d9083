using System.Text.Json;
using Dispatcher.Contracts;
using Dispatcher.Dispatching;
using Dispatcher.Ledger;
using Dispatcher.Retries;
using Dispatcher.ServiceDefaults.Messaging;
using Integration.Tests.Support;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Integration.Tests.Embedded;

/// <summary>A retry whose delay has passed reaches routing, or its job ends: it is never dropped.</summary>
public sealed class InMemoryRetrySchedulerTests
{
    [Fact]
    public async Task ScheduleAsync_SendFailsOnce_SendsAgainAndTheJobGoesOn()
    {
        var failures = 1;
        await using var pipeline = await StartAsync(maxAttempts: 2, fails: () => Interlocked.Decrement(ref failures) >= 0);
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);

        await SubmitAsync(pipeline.Bus, "retried-after-a-failed-send");
        await EventRecorder.EventuallyAsync(() => !recorder.Failed.IsEmpty, "the job's end", TimeSpan.FromSeconds(20));

        var failed = recorder.Failed.Single();
        failed.History.Select(h => h.Attempt).ShouldBe([1, 2], "the retry went out after its first send failed");
        failed.Message.ShouldContain("gave up after 2 attempt(s)");
    }

    [Fact]
    public async Task ScheduleAsync_SendNeverSucceeds_EndsTheJobFailedNamingTheReason()
    {
        await using var pipeline = await StartAsync(maxAttempts: 3, fails: () => true);
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);

        var jobId = await SubmitAsync(pipeline.Bus, "never-handed-back");
        await EventRecorder.EventuallyAsync(() => !recorder.Failed.IsEmpty, "the job's end", TimeSpan.FromSeconds(20));

        var failed = recorder.Failed.Single();
        failed.Error.ShouldBe(ErrorKind.ServerError, "the kind of the attempt that was to be retried");
        failed.History.Count.ShouldBe(1);
        failed.Message.ShouldContain("the retries queue refused the send");
        (await pipeline.Ledger.GetJobAsync(jobId.ToString(), default))!.State.ShouldBe(JobState.Failed);
    }

    // One deployment that always fails, so every job waits out a retry delay after its first attempt.
    private static Task<EmbeddedPipeline> StartAsync(int maxAttempts, Func<bool> fails) =>
        EmbeddedPipeline.StartAsync(
            new
            {
                Deployments = new[] { EmbeddedPipeline.Simulated("only", errorRate: 1) },
                ModelGroups = new[] { new { Name = "gpt-test", MaxAttempts = maxAttempts, Retry = new { BaseDelaySeconds = 0.05, Jitter = 0.0 } } },
            },
            services =>
            {
                services.Configure<MessageRetryOptions>(o => (o.Retries, o.FirstDelay, o.MaxDelay) = (2, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(20)));
                services.Replace(ServiceDescriptor.Singleton<IRetryScheduler>(sp => Scheduler(sp, fails)));
            });

    private static async Task<Guid> SubmitAsync(IBus bus, string customId)
    {
        var jobId = Guid.NewGuid();
        var body = JsonSerializer.SerializeToElement(new { model = "gpt-test", messages = new[] { new { role = "user", content = "hello" } }, max_tokens = 16 });
        var intake = await bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Intake));
        await intake.Send(new SubmitCompletion(customId, "gpt-test", body, "b-scheduler", jobId));
        return jobId;
    }

    // The product's scheduler, with a send that fails while fails() says so.
    private static InMemoryRetryScheduler Scheduler(IServiceProvider services, Func<bool> fails)
    {
        var bus = services.GetRequiredService<IBus>();
        return new InMemoryRetryScheduler(
            async (retry, ct) =>
            {
                if (fails())
                {
                    throw new InvalidOperationException("the retries queue refused the send");
                }

                await (await bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Retries))).Send(retry, ct);
            },
            services.GetRequiredService<JobLedger>(),
            services.GetRequiredService<ResultPublisher>(),
            bus,
            services.GetRequiredService<IOptions<MessageRetryOptions>>(),
            services.GetRequiredService<TimeProvider>(),
            NullLogger<InMemoryRetryScheduler>.Instance);
    }
}
