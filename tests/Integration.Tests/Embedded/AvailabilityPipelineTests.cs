using System.Globalization;
using System.Text.Json;
using Dispatcher.Contracts;
using Dispatcher.Dispatching;
using Dispatcher.Routing;
using Integration.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Integration.Tests.Embedded;

public sealed class AvailabilityPipelineTests
{
    [Fact]
    public async Task Jobs_OnlyDeploymentOpensSecondsLater_NoneIsCalledBeforeAndAllSucceedAfter()
    {
        // The window opens five seconds from now, to the second, in UTC, and stays open for hours.
        var opens = DateTimeOffset.UtcNow.AddSeconds(5);
        opens = new DateTimeOffset(opens.Ticks - (opens.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        await using var pipeline = await EmbeddedPipeline.StartAsync(new
        {
            Deployments = new[]
            {
                new
                {
                    Id = "night-box",
                    ModelGroup = "gpt-test",
                    Provider = "Simulated",
                    Simulation = new { LatencyMs = 0.0, LatencySigma = 0.0, Seed = 1 },
                    Availability = new[] { new { From = Clock(opens), To = Clock(opens.AddHours(2)) } },
                },
            },
        });
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        var jobs = Enumerable.Range(0, 12)
            .Select(i => new SubmitCompletion($"job-{i}", "gpt-test", Body(), JobId: Guid.NewGuid()))
            .ToArray();
        var intake = await pipeline.Bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Intake));
        foreach (var job in jobs)
        {
            await intake.Send(job);
        }

        // While closed: routing says until when, and no job has been sent to the deployment.
        var windows = pipeline.Services.GetRequiredService<AvailabilityFilter>();
        var closed = windows.ClosureOf("night-box").ShouldNotBeNull();
        closed.ShouldStartWith("closed until ");
        // Off the intake into their dispatch lanes, whose consumers wait at the gate.
        var gate = pipeline.Services.GetRequiredService<DispatchGate>();
        await EventRecorder.EventuallyAsync(() => gate.Waiting > 0, "jobs waiting at the dispatch gate", TimeSpan.FromSeconds(3));
        closed.ShouldEndWith($"{(opens.Second == 0 ? opens.ToString("HH:mm", CultureInfo.InvariantCulture) : Clock(opens))} UTC, window 0");
        while (DateTimeOffset.UtcNow < opens.AddMilliseconds(-300))
        {
            recorder.Succeeded.ShouldBeEmpty();
            recorder.Failed.ShouldBeEmpty();
            foreach (var job in jobs)
            {
                ((await pipeline.Ledger.GetJobAsync(job.JobId.ToString(), default))?.Attempts ?? 0).ShouldBe(0, job.CustomId);
            }

            await Task.Delay(100);
        }

        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Count + recorder.Failed.Count >= jobs.Length, $"{jobs.Length} results");

        recorder.Failed.ShouldBeEmpty();
        recorder.Succeeded.Select(r => r.CustomId).Order().ShouldBe(jobs.Select(j => j.CustomId).Order());
        recorder.Succeeded.ShouldAllBe(r => r.CompletedAt >= opens && r.DeploymentId == "night-box");
        windows.ClosureOf("night-box").ShouldBeNull();
    }

    [Fact]
    public async Task Job_DeadlinePassesWhileItsWindowIsClosed_FailsWithDeadlineExceededWithoutACall()
    {
        var opens = DateTimeOffset.UtcNow.AddHours(1);
        await using var pipeline = await EmbeddedPipeline.StartAsync(new
        {
            Deployments = new[]
            {
                new
                {
                    Id = "later",
                    ModelGroup = "gpt-test",
                    Provider = "Simulated",
                    Availability = new[] { new { From = Clock(opens), To = Clock(opens.AddHours(1)) } },
                },
            },
        });
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        var intake = await pipeline.Bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Intake));

        await intake.Send(new SubmitCompletion("soon-due", "gpt-test", Body(), JobId: Guid.NewGuid(), Deadline: DateTimeOffset.UtcNow.AddSeconds(2)));
        await EventRecorder.EventuallyAsync(() => !recorder.Failed.IsEmpty, "a failed result");

        recorder.Succeeded.ShouldBeEmpty();
        recorder.Failed.Single().Error.ShouldBe(ErrorKind.DeadlineExceeded);
        recorder.Failed.Single().History.ShouldBeEmpty();
    }

    [Fact]
    public async Task GetStatus_DeploymentOutsideItsWindow_ReportsItClosedUntilItOpens()
    {
        var opens = DateTimeOffset.UtcNow.AddHours(2);
        // To the second, and not on a whole minute, so the reason shows it as HH:mm:ss.
        opens = new DateTimeOffset(opens.Ticks - (opens.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero).AddSeconds(opens.Second == 0 ? 1 : 0);
        await using var pipeline = await MonitoredPipeline.StartAsync(new
        {
            Deployments = new object[]
            {
                EmbeddedPipeline.Simulated("always"),
                new
                {
                    Id = "later",
                    ModelGroup = "gpt-test",
                    Provider = "Simulated",
                    Availability = new[] { new { From = Clock(opens), To = Clock(opens.AddHours(1)) } },
                },
            },
        });
        using var http = new HttpClient { BaseAddress = pipeline.BaseAddress, Timeout = TimeSpan.FromSeconds(20) };

        var deployments = JsonDocument.Parse(await http.GetStringAsync("api/status")).RootElement
            .GetProperty("deployments").EnumerateArray()
            .ToDictionary(d => d.GetProperty("id").GetString()!, d => d.GetProperty("closed"));

        deployments["always"].ValueKind.ShouldBe(JsonValueKind.Null);
        var closed = deployments["later"].GetString().ShouldNotBeNull();
        closed.ShouldStartWith("closed until ");
        closed.ShouldEndWith($"{Clock(opens)} UTC, window 0");
    }

    private static string Clock(DateTimeOffset at) => at.ToString("HH:mm:ss", CultureInfo.InvariantCulture);

    private static JsonElement Body() => JsonSerializer.SerializeToElement(new
    {
        model = "gpt-test",
        messages = new[] { new { role = "user", content = "hello" } },
        max_tokens = 16,
    });
}
