using System.Text.Json;
using Dispatcher.Contracts;
using Dispatcher.Dispatching;
using Dispatcher.Quotas;
using Dispatcher.Tests.Support;
using Integration.Tests.Support;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Integration.Tests.Embedded;

public sealed class QuotaPipelineTests
{
    private static JsonElement Body() =>
        JsonSerializer.SerializeToElement(new { model = "gpt-test", messages = new[] { new { role = "user", content = "hello" } }, max_tokens = 16 });

    // Sends from a method of its own: the bus's log context, kept in an AsyncLocal, then does not
    // flow back into the test, where a restarted pipeline would find the stopped one's.
    private static async Task SubmitAsync(IBus bus, string batch, int count, string? tenant = null, string group = "gpt-test")
    {
        var intake = await bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Intake));
        for (var i = 0; i < count; i++)
        {
            await intake.Send(new SubmitCompletion($"{batch}-{i}", group, Body(), batch, Guid.NewGuid(), tenant));
        }
    }

    [Fact]
    public async Task Batch_ProviderEnforcesTheCatalogRpm_NoRequestIsRefused()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(new
        {
            QuotaWindow = "00:00:01",
            // A second-long "minute": the margin for the time a call takes to reach the provider
            // must be a larger share of so short a window than of a real one.
            QuotaWindowPadding = 0.2,
            Deployments = new[] { EmbeddedPipeline.Limited("limited", catalogRpm: 8, providerRpm: 8) },
        });
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);

        await SubmitAsync(pipeline.Bus, "rpm", 30);
        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Count + recorder.Failed.Count >= 30, "30 results", TimeSpan.FromSeconds(60));

        recorder.Succeeded.Count.ShouldBe(30);
        var kinds = await pipeline.AttemptKindsAsync();
        kinds.GetValueOrDefault(nameof(ErrorKind.RateLimited)).ShouldBe(0);
        kinds[nameof(ErrorKind.None)].ShouldBe(30);
    }

    [Theory]
    [InlineData("cjk")]
    [InlineData("tools")]
    public async Task Batch_ProviderEnforcesItsOwnTokenCount_NoRequestIsRefused(string prompts)
    {
        // A gpt-4o deployment whose provider counts tokens with the model's tokenizer and refuses
        // whatever crosses its per-window limit. Four characters a token would reserve about a
        // third of what these prompts are (Chinese text, tool definitions), so the dispatcher
        // would send three times what the provider admits.
        const int Tpm = 4_000;
        await using var pipeline = await EmbeddedPipeline.StartAsync(new
        {
            QuotaWindow = "00:00:01",
            QuotaWindowPadding = 0.2,
            Deployments = new[] { TokenCountingDeployment.Gpt4o(Tpm, windowSeconds: 1, latencyMs: 1, latencySigma: 0.0) },
        });
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        var estimates = pipeline.Services.GetRequiredService<PromptEstimates>();
        var intake = await pipeline.Bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Intake));
        var expected = new Dictionary<string, int>();
        for (var i = 1; i <= 40; i++)
        {
            var body = JsonSerializer.SerializeToElement(prompts == "cjk" ? CjkJobs.Body(i, "gpt-test") : ToolJobs.Body(i, "gpt-test"));
            expected[$"{prompts}-{i}"] = estimates.Estimate("gpt-test", body, Endpoints.ChatCompletions);
            await intake.Send(new SubmitCompletion($"{prompts}-{i}", "gpt-test", body, prompts, Guid.NewGuid()));
        }

        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Count + recorder.Failed.Count >= 40, "40 results", TimeSpan.FromSeconds(90));

        recorder.Succeeded.Count.ShouldBe(40);
        var kinds = await pipeline.AttemptKindsAsync();
        kinds.GetValueOrDefault(nameof(ErrorKind.RateLimited)).ShouldBe(0, "calls the provider refused");
        kinds[nameof(ErrorKind.None)].ShouldBe(40);
        recorder.Succeeded.ShouldAllBe(s => s.Usage!.PromptTokens == expected[s.CustomId], "the provider counted the prompt as the dispatcher did");
    }

    [Fact]
    public async Task AzureDeployment_OnlyTpmGiven_RequestsHeldToTheDerivedRpm()
    {
        // Azure allows 6 requests a minute per 1,000 TPM: 2,000 TPM gives 12 a window. The
        // tokens (about 30 a job) never bind; the provider refuses a 13th request in a window.
        await using var pipeline = await EmbeddedPipeline.StartAsync(new
        {
            QuotaWindow = "00:00:01",
            QuotaWindowPadding = 0.2,
            Deployments = new[]
            {
                new
                {
                    Id = "azure",
                    ModelGroup = "gpt-test",
                    Provider = "Simulated",
                    LimitModel = "Azure",
                    Tpm = 2_000,
                    MaxParallel = 8,
                    BurstFraction = 0.5,
                    Simulation = new { LatencyMs = 1, LatencySigma = 0.0, EnforceRpm = 12, EnforceTpm = 2_000, EnforceWindowSeconds = 1, Seed = 1 },
                },
            },
        });
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);

        await SubmitAsync(pipeline.Bus, "azure", 40);
        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Count + recorder.Failed.Count >= 40, "40 results", TimeSpan.FromSeconds(60));

        recorder.Succeeded.Count.ShouldBe(40);
        (await pipeline.AttemptKindsAsync()).GetValueOrDefault(nameof(ErrorKind.RateLimited)).ShouldBe(0, "calls the provider refused");
    }

    [Fact]
    public async Task ConcurrencyDeployment_ServerWithTwoSlots_NeverSentMoreThanTwoAtOnce()
    {
        // A self-hosted server serving two calls at once refuses a third; the worker would run
        // eight at once (MaxParallel) if the dispatcher sent them.
        await using var pipeline = await EmbeddedPipeline.StartAsync(new
        {
            Deployments = new[]
            {
                new
                {
                    Id = "vllm",
                    ModelGroup = "gpt-test",
                    Provider = "Simulated",
                    LimitModel = "Concurrency",
                    MaxConcurrent = 2,
                    MaxParallel = 8,
                    Simulation = new { LatencyMs = 40, LatencySigma = 0.0, EnforceConcurrency = 2, RetryAfterSeconds = 0.1, Seed = 1 },
                },
            },
        });
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);

        await SubmitAsync(pipeline.Bus, "slots", 30);
        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Count + recorder.Failed.Count >= 30, "30 results", TimeSpan.FromSeconds(60));

        recorder.Succeeded.Count.ShouldBe(30);
        (await pipeline.AttemptKindsAsync()).GetValueOrDefault(nameof(ErrorKind.RateLimited)).ShouldBe(0, "calls the server refused");
    }

    [Fact]
    public async Task Batch_CatalogOverstatesTheProviderLimit_ProviderRefusesAndRetriesFinishTheJobs()
    {
        // The opposite of the test above, showing the provider really enforces its limit.
        await using var pipeline = await EmbeddedPipeline.StartAsync(new
        {
            QuotaWindow = "00:00:01",
            Deployments = new[] { EmbeddedPipeline.Limited("overstated", catalogRpm: 100, providerRpm: 5) },
            ModelGroups = new[] { new { Name = "gpt-test", MaxAttempts = 20 } },
        });
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);

        await SubmitAsync(pipeline.Bus, "over", 20);
        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Count + recorder.Failed.Count >= 20, "20 results", TimeSpan.FromSeconds(60));

        (await pipeline.AttemptKindsAsync()).GetValueOrDefault(nameof(ErrorKind.RateLimited)).ShouldBeGreaterThan(0);
        recorder.Succeeded.Count.ShouldBe(20);
    }

    [Fact]
    public async Task Restart_JobRetriedOnItsDeploymentBeforeTheRestart_NewQuotaBookCountsBothRequests()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(new
        {
            Deployments = new[] { EmbeddedPipeline.Simulated("flaky", errorRate: 1) },
            ModelGroups = new[] { new { Name = "gpt-test", MaxAttempts = 2, Retry = new { BaseDelaySeconds = 0.0, Jitter = 0.0 } } },
        });
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        await SubmitAsync(pipeline.Bus, "retried", 1);
        await EventRecorder.EventuallyAsync(() => !recorder.Failed.IsEmpty, "the job failing after its retry");
        (await pipeline.AttemptKindsAsync()).Values.Sum().ShouldBe(2);

        await pipeline.RestartAsync();

        var usage = pipeline.Services.GetRequiredService<QuotaBook>().Usage().Single(u => u.DeploymentId == "flaky");
        usage.RequestsInWindow.ShouldBe(2, "the provider counted both attempts' requests");
    }

    [Fact]
    public async Task Restart_JobServedByItsFallbackGroup_SpendStaysOnTheCapsItWasChargedTo()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(new
        {
            Deployments = new[] { EmbeddedPipeline.Simulated("down", group: "primary", errorRate: 1), EmbeddedPipeline.Simulated("spare", group: "backup") },
            ModelGroups = new object[]
            {
                new { Name = "primary", Fallbacks = new[] { "backup" }, Budget = new { Limit = 100.0, Period = "Day" } },
                new { Name = "backup", Budget = new { Limit = 100.0, Period = "Day" } },
            },
        });
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        await SubmitAsync(pipeline.Bus, "fallback", 1, group: "primary");
        await EventRecorder.EventuallyAsync(() => !recorder.Succeeded.IsEmpty || !recorder.Failed.IsEmpty, "a result");
        var result = recorder.Succeeded.Single();
        result.DeploymentId.ShouldBe("spare");
        var before = Accounts(pipeline);
        before.Backup.Spent.ShouldBe(result.Cost, "charged to the group of the deployment that served it");

        await pipeline.RestartAsync();

        var after = Accounts(pipeline);
        after.Primary.ShouldBe(before.Primary);
        after.Backup.ShouldBe(before.Backup);

        static ((decimal Spent, decimal Reserved) Primary, (decimal Spent, decimal Reserved) Backup) Accounts(EmbeddedPipeline pipeline)
        {
            var spend = pipeline.Services.GetRequiredService<SpendBook>();
            return (spend.Account(SpendBook.GroupKey("primary")), spend.Account(SpendBook.GroupKey("backup")));
        }
    }

    [Fact]
    public async Task Batch_GroupBudget_NeverCrossedAndRemembersSpendAcrossRestart()
    {
        // Each job is estimated at about 30 tokens x $1000/1M = $0.03; the cap allows a few.
        await using var pipeline = await EmbeddedPipeline.StartAsync(new
        {
            Deployments = new[]
            {
                new
                {
                    Id = "pricey", ModelGroup = "gpt-test", Provider = "Simulated", MaxParallel = 1,
                    InputPricePerMillion = 1000.0, OutputPricePerMillion = 1000.0,
                    Simulation = new { LatencyMs = 0, LatencySigma = 0.0, MinCompletionTokens = 16, MaxCompletionTokens = 16 },
                },
            },
            ModelGroups = new[] { new { Name = "gpt-test", Budget = new { Limit = 0.2, Period = "Day" } } },
        });
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);

        await SubmitAsync(pipeline.Bus, "budget", 20);
        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Count + recorder.Failed.Count >= 20, "20 results");

        recorder.Succeeded.Count.ShouldBeGreaterThan(0);
        recorder.Failed.Count.ShouldBeGreaterThan(0);
        recorder.Failed.ShouldAllBe(f => f.Error == ErrorKind.BudgetExhausted);
        var spent = recorder.Succeeded.Sum(s => s.Cost);
        spent.ShouldBeLessThanOrEqualTo(0.2m);

        await pipeline.RestartAsync();
        var account = pipeline.Services.GetRequiredService<SpendBook>().Account(SpendBook.GroupKey("gpt-test"));
        account.Spent.ShouldBe(spent);
        var after = await EventRecorder.ConnectAsync(pipeline.Bus);
        await SubmitAsync(pipeline.Bus, "after-restart", 1);
        await EventRecorder.EventuallyAsync(() => !after.Failed.IsEmpty || !after.Succeeded.IsEmpty, "a result");
        after.Failed.Single().Error.ShouldBe(ErrorKind.BudgetExhausted);
    }
}
