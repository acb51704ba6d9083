using System.Net;
using System.Text.Json;
using Dispatcher.Contracts;
using Integration.Tests.Support;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Integration.Tests.Embedded;

// The status API, its history and the dashboard, served by a running dispatcher whose workers
// and simulated providers finish a real batch on the in-memory transport.
public sealed class StatusApiTests
{
    private const string SecretKey = "sk-status-test-secret-0123456789";

    private static object Catalog() => new
    {
        QuotaWindow = "00:00:01",
        Deployments = new object[]
        {
            EmbeddedPipeline.Simulated("east", latencyMs: 5),
            new
            {
                Id = "west", ModelGroup = "gpt-test", Provider = "Simulated", MaxParallel = 8, Rpm = 5000, Tpm = 5_000_000,
                InputPricePerMillion = 1.0, OutputPricePerMillion = 2.0, ApiKeyVariable = "STATUS_TEST_KEY",
                Simulation = new { LatencyMs = 5, LatencySigma = 0.0, Seed = 2 },
            },
        },
        ModelGroups = new[] { new { Name = "gpt-test", Strategy = "round-robin", Budget = new { Limit = 25.0, Period = "Day" } } },
    };

    [Fact]
    public async Task GetStatus_AfterBatch_ReportsQueuesDeploymentsBudgetsAndBatch()
    {
        Environment.SetEnvironmentVariable("STATUS_TEST_KEY", SecretKey);
        await using var pipeline = await MonitoredPipeline.StartAsync(Catalog());
        using var http = new HttpClient { BaseAddress = pipeline.BaseAddress, Timeout = TimeSpan.FromSeconds(20) };

        await pipeline.SubmitBatchAsync("status-batch", 200);
        await pipeline.WaitForBatchAsync("status-batch");
        var status = await EventuallyAsync(http, "api/status", s =>
            s.GetProperty("batches").GetProperty("recent").EnumerateArray().Any(b => b.GetProperty("complete").GetBoolean())
            && s.GetProperty("queues").GetProperty("items").GetArrayLength() > 0);

        status.GetProperty("transport").GetString().ShouldBe("InMemory");
        var queues = status.GetProperty("queues");
        queues.GetProperty("source").GetString().ShouldBe("in-memory");
        var names = queues.GetProperty("items").EnumerateArray().Select(q => q.GetProperty("queue").GetString()).ToList();
        names.ShouldContain("completion-intake");
        names.ShouldContain("dispatcher-outcomes");
        names.ShouldContain("provider.east");
        names.ShouldContain("provider.west");
        var intake = queues.GetProperty("items").EnumerateArray().Single(q => q.GetProperty("queue").GetString() == "completion-intake");
        intake.GetProperty("consumers").GetInt32().ShouldBe(1);
        intake.GetProperty("ready").GetInt64().ShouldBe(0);

        var deployments = status.GetProperty("deployments").EnumerateArray().ToList();
        deployments.Select(d => d.GetProperty("id").GetString()).ShouldBe(["east", "west"]);
        deployments.Sum(d => d.GetProperty("succeeded").GetInt64()).ShouldBe(200);
        deployments.ShouldAllBe(d => d.GetProperty("succeeded").GetInt64() > 0);
        var quota = deployments[1].GetProperty("quota");
        quota.GetProperty("requestsLimit").GetInt32().ShouldBe(5000);
        quota.GetProperty("tokensLimit").GetInt32().ShouldBe(5_000_000);
        quota.GetProperty("inFlight").GetInt32().ShouldBe(0);
        deployments[0].GetProperty("breaker").GetProperty("state").GetString().ShouldBe("closed");

        var budget = status.GetProperty("budgets").EnumerateArray().Single();
        budget.GetProperty("key").GetString().ShouldBe("group:gpt-test");
        budget.GetProperty("limit").GetDecimal().ShouldBe(25m);
        budget.GetProperty("spent").GetDecimal().ShouldBeGreaterThan(0m);

        var batch = status.GetProperty("batches").GetProperty("recent").EnumerateArray().Single();
        batch.GetProperty("id").GetString().ShouldBe("status-batch");
        batch.GetProperty("succeeded").GetInt64().ShouldBe(200);
        status.GetProperty("batches").GetProperty("running").GetInt32().ShouldBe(0);
        status.GetProperty("waitingForQuota").GetInt32().ShouldBe(0);
        status.GetRawText().ShouldNotContain(SecretKey);
        status.GetRawText().ShouldNotContain("STATUS_TEST_KEY");
    }

    [Fact]
    public async Task GetStatus_JobsWithoutABatch_CountedApartAndNoBatchRunsForThem()
    {
        await using var pipeline = await MonitoredPipeline.StartAsync(Catalog());
        using var http = new HttpClient { BaseAddress = pipeline.BaseAddress, Timeout = TimeSpan.FromSeconds(20) };
        var bus = pipeline.Services.GetRequiredService<IBus>();
        var intake = await bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Intake));
        var body = JsonSerializer.SerializeToElement(new { model = "gpt-test", messages = new[] { new { role = "user", content = "hi" } }, max_tokens = 8 });

        // No batch id, and the blank one a plain JSON producer may send for none.
        var ids = new[] { Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid() };
        await intake.Send(new SubmitCompletion("loose-1", "gpt-test", body, null, ids[0]));
        await intake.Send(new SubmitCompletion("loose-2", "gpt-test", body, null, ids[1]));
        await intake.Send(new SubmitCompletion("loose-3", "gpt-test", body, "", ids[2]));
        var status = await EventuallyAsync(http, "api/status", s =>
            s.TryGetProperty("looseJobs", out var loose) && loose.GetProperty("succeeded").GetInt64() == 3);

        var batches = status.GetProperty("batches");
        batches.GetProperty("recent").GetArrayLength().ShouldBe(0, "a job without a batch id belongs to no batch");
        batches.GetProperty("running").GetInt32().ShouldBe(0);
        var looseJobs = status.GetProperty("looseJobs");
        looseJobs.GetProperty("queued").GetInt64().ShouldBe(0);
        looseJobs.GetProperty("dispatched").GetInt64().ShouldBe(0);
        looseJobs.GetProperty("failed").GetInt64().ShouldBe(0);
        (await pipeline.Ledger.GetJobAsync(ids[2].ToString(), default))!.BatchId.ShouldBeNull();
    }

    [Fact]
    public async Task GetStatus_ProviderAnswers429WithRetryAfter_ReportsThePauseUntilWhenAndWhy()
    {
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
        using var http = new HttpClient { BaseAddress = pipeline.BaseAddress, Timeout = TimeSpan.FromSeconds(20) };

        await pipeline.SubmitBatchAsync("paused-batch", 3);
        var status = await EventuallyAsync(http, "api/status", s =>
            s.GetProperty("deployments")[0].TryGetProperty("pause", out var p) && p.ValueKind == JsonValueKind.Object && p.GetProperty("waitingJobs").GetInt32() > 0);

        var deployment = status.GetProperty("deployments")[0];
        var pause = deployment.GetProperty("pause");
        pause.GetProperty("reason").GetString().ShouldBe("429 Retry-After 5 s");
        pause.GetProperty("source").GetString().ShouldBe("quota");
        pause.GetProperty("secondsLeft").GetDouble().ShouldBeInRange(0, 5);
        pause.GetProperty("until").GetDateTimeOffset().ShouldBeGreaterThan(status.GetProperty("at").GetDateTimeOffset());
        deployment.GetProperty("quota").GetProperty("pausedForSeconds").GetDouble().ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task GetHistory_WhileRunning_GrowsOnePointPerRefresh()
    {
        await using var pipeline = await MonitoredPipeline.StartAsync(Catalog());
        using var http = new HttpClient { BaseAddress = pipeline.BaseAddress, Timeout = TimeSpan.FromSeconds(20) };

        await pipeline.SubmitBatchAsync("history-batch", 50);
        await pipeline.WaitForBatchAsync("history-batch");
        var history = await EventuallyAsync(http, "api/status/history", h => h.GetProperty("points").GetArrayLength() >= 4);

        history.GetProperty("intervalSeconds").GetDouble().ShouldBe(0.25);
        history.GetProperty("capacity").GetInt32().ShouldBe(2400);
        var last = history.GetProperty("points").EnumerateArray().Last();
        last.GetProperty("queueReady").TryGetProperty("completion-intake", out _).ShouldBeTrue();
        last.GetProperty("inFlight").TryGetProperty("east", out _).ShouldBeTrue();
        var times = history.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("at").GetDateTimeOffset()).ToList();
        times.ShouldBe(times.Order().ToList());
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/dashboard")]
    public async Task GetDashboard_ServesEmbeddedPageAndAssets(string path)
    {
        await using var pipeline = await MonitoredPipeline.StartAsync(Catalog());
        using var http = new HttpClient { BaseAddress = pipeline.BaseAddress, Timeout = TimeSpan.FromSeconds(20) };

        using var page = await http.GetAsync(path);
        var html = await page.Content.ReadAsStringAsync();
        using var script = await http.GetAsync("/dashboard/dashboard.js");
        using var style = await http.GetAsync("/dashboard/dashboard.css");
        using var missing = await http.GetAsync("/dashboard/nothing.js");

        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        page.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        html.ShouldContain("data-points");
        html.ShouldNotContain("http://", Case.Insensitive);
        html.ShouldNotContain("https://", Case.Insensitive);
        script.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await script.Content.ReadAsStringAsync()).ShouldContain("/api/status/history");
        style.StatusCode.ShouldBe(HttpStatusCode.OK);
        missing.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    private static async Task<JsonElement> EventuallyAsync(HttpClient http, string path, Func<JsonElement, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        JsonElement last = default;
        while (DateTime.UtcNow < deadline)
        {
            last = JsonDocument.Parse(await http.GetStringAsync(path)).RootElement;
            if (condition(last))
            {
                return last;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{path} never met the condition; last answer: {last}");
    }
}
