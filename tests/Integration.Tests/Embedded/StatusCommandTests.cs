using System.CommandLine;
using System.Text.Json;
using Dispatcher.Contracts;
using Dispatcher.Ledger;
using Dispatcher.Submitter.Cli;
using Integration.Tests.Support;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Integration.Tests.Embedded;

// status and watch run in this process against a running dispatcher (its status API) or, when no
// dispatcher answers, against its ledger; their output is rendered to a recording console.
public sealed class StatusCommandTests
{
    // Nothing listens on port 1 of the loopback: the connection is refused at once.
    private const string NoDispatcher = "http://127.0.0.1:1/";

    private static object Catalog(double latencyMs = 2) => new
    {
        Deployments = new[] { EmbeddedPipeline.Simulated("sim-a", latencyMs: latencyMs), EmbeddedPipeline.Simulated("sim-b", latencyMs: latencyMs) },
        ModelGroups = new[] { new { Name = "gpt-test", Strategy = "round-robin", Budget = new { Limit = 5.0, Period = "Day" } } },
    };

    [Fact]
    public async Task Status_DispatcherAnswers_ShowsQueuesDeploymentsBudgetsAndBatch()
    {
        await using var pipeline = await MonitoredPipeline.StartAsync(Catalog());
        await pipeline.SubmitBatchAsync("cli-status", 60);
        await pipeline.WaitForBatchAsync("cli-status");
        await Task.Delay(600); // the next status snapshot sees the batch complete

        var (exit, text) = await RunAsync(pipeline, "status", "--dispatcher", pipeline.BaseAddress.AbsoluteUri);

        exit.ShouldBe(0, text);
        text.ShouldContain("from dispatcher at " + pipeline.BaseAddress.GetLeftPart(UriPartial.Authority));
        text.ShouldContain("(in-memory)");
        foreach (var queue in new[] { "completion-intake", "dispatcher-outcomes", "provider.sim-a", "provider.sim-b" })
        {
            text.ShouldContain(queue);
        }

        RowOf(text, "│ sim-a ").ShouldContain("closed");
        RowOf(text, "│ sim-a ").ShouldContain("/600");
        RowOf(text, "group:gpt-test").ShouldContain("5.00");
        RowOf(text, "cli-status").ShouldContain("completed");
        RowOf(text, "60 of 60 ended").ShouldContain("ETA 00:00:00");
    }

    [Fact]
    public async Task Status_NoDispatcher_FallsBackToLedger()
    {
        await using var pipeline = await MonitoredPipeline.StartAsync(Catalog());
        await pipeline.SubmitBatchAsync("cli-ledger", 30);
        await pipeline.WaitForBatchAsync("cli-ledger");

        var (exit, text) = await RunAsync(pipeline, "status", "cli-ledger", "--dispatcher", NoDispatcher);

        exit.ShouldBe(0, text);
        text.ShouldContain("from ledger");
        text.ShouldContain("unavailable: the in-memory transport");
        RowOf(text, "│ sim-b ").ShouldContain("closed");
        RowOf(text, "cli-ledger").ShouldContain("completed");
        RowOf(text, "30 of 30 ended").ShouldContain("30 ok");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Status_JobsWithoutABatch_ShownOnALineOfTheirOwnNotAsABatch(bool dispatcherAnswers)
    {
        await using var pipeline = await MonitoredPipeline.StartAsync(Catalog());
        var intake = await pipeline.Services.GetRequiredService<IBus>().GetSendEndpoint(new Uri("queue:" + QueueNames.Intake));
        var body = JsonSerializer.SerializeToElement(new { model = "gpt-test", messages = new[] { new { role = "user", content = "hi" } }, max_tokens = 8 });
        var ids = new[] { Guid.NewGuid(), Guid.NewGuid() };
        await intake.Send(new SubmitCompletion("loose-a", "gpt-test", body, null, ids[0]));
        await intake.Send(new SubmitCompletion("loose-b", "gpt-test", body, "", ids[1]));
        foreach (var id in ids)
        {
            await EventRecorder.EventuallyAsync(
                () => pipeline.Ledger.GetJobAsync(id.ToString(), default).GetAwaiter().GetResult() is { State: JobState.Succeeded },
                "the job to succeed");
        }

        await Task.Delay(600); // the next status snapshot sees them
        var (exit, text) = await RunAsync(pipeline, "status", "--dispatcher", dispatcherAnswers ? pipeline.BaseAddress.AbsoluteUri : NoDispatcher);

        exit.ShouldBe(0, text);
        RowOf(text, "jobs without a batch").ShouldContain("succeeded 2");
        text.ShouldContain("no batches yet");
        text.ShouldContain("running 0");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Status_ProviderAnswers429WithRetryAfter_ShowsTheDeploymentPausedWhileItsJobsWait(bool dispatcherAnswers)
    {
        // Every call is answered 429 with a Retry-After of 5 s, so the deployment stays paused
        // while its jobs wait out their retries.
        await using var pipeline = await MonitoredPipeline.StartAsync(new
        {
            Deployments = new[]
            {
                new
                {
                    Id = "sim-busy", ModelGroup = "gpt-test", Provider = "Simulated", MaxParallel = 8,
                    Simulation = new { LatencyMs = 0, LatencySigma = 0.0, RateLimitRate = 1.0, RetryAfterSeconds = 5, Seed = 1 },
                },
            },
        });
        await pipeline.SubmitBatchAsync("cli-paused", 3);

        var text = "";
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!text.Contains("job waiting", StringComparison.Ordinal) && !text.Contains("jobs waiting", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            (_, text) = await RunAsync(pipeline, "status", "cli-paused", "--dispatcher", dispatcherAnswers ? pipeline.BaseAddress.AbsoluteUri : NoDispatcher);
        }

        text.ShouldContain(dispatcherAnswers ? "from dispatcher" : "from ledger");
        var line = RowOf(text, "sim-busy paused by the provider until ");
        line.ShouldContain(" left (429 Retry-After 5 s), ");
        line.ShouldMatch(@"\d+ jobs? waiting");
        (await pipeline.Ledger.GetBatchStatusAsync("cli-paused", default))!.IsComplete.ShouldBeFalse("the jobs are still waiting for the provider");
    }

    [Fact]
    public async Task Status_UnknownBatch_ExitsWithInvalidInput()
    {
        await using var pipeline = await MonitoredPipeline.StartAsync(Catalog());

        var (exit, _) = await RunAsync(pipeline, "status", "no-such-batch", "--dispatcher", NoDispatcher);

        exit.ShouldBe(2);
    }

    [Fact]
    public async Task Watch_RunningBatch_RefreshesUntilItFinishes()
    {
        await using var pipeline = await MonitoredPipeline.StartAsync(Catalog(latencyMs: 20));
        await pipeline.SubmitBatchAsync("cli-watch", 300);

        var (exit, text) = await RunAsync(
            pipeline, "watch", "cli-watch", "--interval", "00:00:00.2", "--duration", "00:02:00", "--dispatcher", pipeline.BaseAddress.AbsoluteUri);

        exit.ShouldBe(0, text);
        text.ShouldContain("batch cli-watch finished.");
        var final = await pipeline.Ledger.GetBatchStatusAsync("cli-watch", default);
        final!.IsComplete.ShouldBeTrue();
        text.ShouldContain("provider.sim-a");
    }

    [Fact]
    public async Task Watch_Duration_StopsByItself()
    {
        await using var pipeline = await MonitoredPipeline.StartAsync(Catalog());

        var started = DateTime.UtcNow;
        var (exit, text) = await RunAsync(pipeline, "watch", "--interval", "00:00:00.2", "--duration", "00:00:01", "--dispatcher", pipeline.BaseAddress.AbsoluteUri);

        exit.ShouldBe(0, text);
        text.ShouldContain("--duration passed.");
        (DateTime.UtcNow - started).ShouldBeLessThan(TimeSpan.FromSeconds(30));
    }

    [Theory]
    [InlineData("status", "--dispatcher")]
    [InlineData("watch", "--interval")]
    [InlineData("watch", "--duration")]
    public async Task Help_EveryOptionIsDocumented(string command, string option)
    {
        var root = new RootCommand { StatusCommand.Create(), WatchCommand.Create() };
        using var writer = new StringWriter();

        var exit = await root.Parse([command, "--help"]).InvokeAsync(new InvocationConfiguration { Output = writer });

        exit.ShouldBe(0);
        writer.ToString().ShouldContain(option);
        writer.ToString().ShouldContain("--ledger");
    }

    private static async Task<(int Exit, string Text)> RunAsync(MonitoredPipeline pipeline, params string[] args)
    {
        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 200;
        var root = new RootCommand { StatusCommand.Create(console), WatchCommand.Create(console) };
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        using var errors = new StringWriter();
        var exit = await root.Parse([.. args, "--config", pipeline.ConfigPath, "--ledger", pipeline.LedgerPath])
            .InvokeAsync(new InvocationConfiguration { Error = errors }, timeout.Token);
        return (exit, writer + errors.ToString());
    }

    private static string RowOf(string text, string key) =>
        text.Split('\n').FirstOrDefault(line => line.Contains(key, StringComparison.Ordinal)) ?? throw new ShouldAssertException($"no line with '{key}' in:\n{text}");
}
