using System.Text.Json;
using Dapper;
using Dispatcher.Contracts;
using Dispatcher.Tests.Support;
using Integration.Tests.Faults;
using Integration.Tests.RabbitMq;
using Integration.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Integration.Tests.Pipeline;

/// <summary>Cost-based routing under quotas the providers enforce themselves, on a real broker, through a dispatcher crash.</summary>
[Collection(RabbitNodeFixture.Name)]
public sealed class QuotaRoutingTests(RabbitNodeFixture rabbit)
{
    private static object Deployment(string id, int rpm, double price) => new
    {
        Id = id,
        ModelGroup = "gpt-test",
        Provider = "Simulated",
        MaxParallel = 8,
        Rpm = rpm,
        BurstFraction = 0.5,
        InputPricePerMillion = price,
        OutputPricePerMillion = price,
        Simulation = new { LatencyMs = 5, LatencySigma = 0.2, EnforceRpm = rpm, EnforceWindowSeconds = 3 },
    };

    [Fact]
    public async Task CostBasedBatch_DispatcherKilledMidway_FinishesWithoutProvider429sOrDuplicates()
    {
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, new
        {
            QuotaWindow = "00:00:03",
            // The padding is the allowance for the time between sending a call and the provider
            // receiving it. On a loaded two-core test machine, with the whole suite running in
            // parallel, that delay reaches a good share of a three-second window.
            QuotaWindowPadding = 1.0,
            Deployments = new[] { Deployment("cheap", rpm: 45, price: 1), Deployment("pricey", rpm: 90, price: 10) },
            ModelGroups = new[] { new { Name = "gpt-test", Strategy = "cost-based", MaxAttempts = 10 } },
        });
        var batch = env.WriteBatch(240);
        var outDir = Path.Combine(env.Folder, "out");
        var dispatcher = ProgramProcess.Start("Dispatcher.Host", env.Variables);
        await using var workers = ProgramProcess.Start("Workers.Host", env.Variables);
        await env.WaitForConsumersAsync(dispatcher, QueueNames.Intake);
        await using var submitter = ProgramProcess.Start(
            "Submitter", env.Variables, "submit", batch, "--wait", "--batch-id", "quota-batch", "--out", outDir, "--timeout", "00:04:00");

        await BatchOutcome.WaitForEndedAsync(env.LedgerPath, 60, TimeSpan.FromSeconds(90), () => "");
        dispatcher.Kill(); // as kill -9 would
        await dispatcher.DisposeAsync();
        await using var restarted = ProgramProcess.Start("Dispatcher.Host", env.Variables);

        var exit = await submitter.WaitForExitAsync(TimeSpan.FromMinutes(5));

        exit.ShouldBe(0, $"{submitter.Output}\nrestarted dispatcher:\n{restarted.Output}");
        var lines = File.ReadAllLines(Path.Combine(outDir, "quota-batch-output.jsonl"));
        lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()).Distinct().Count().ShouldBe(240);
        lines.Length.ShouldBe(240);
        await using var ledger = new SqliteConnection($"Data Source={env.LedgerPath};Mode=ReadOnly");
        var limited = await ledger.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM attempts WHERE error_kind = 'RateLimited'");
        var refusals = string.Join("; ", await ledger.QueryAsync<string>(
            "SELECT deployment_id || ' at ' || recorded_at || ': ' || COALESCE(message, '') FROM attempts WHERE error_kind = 'RateLimited'"));
        limited.ShouldBe(0, "the dispatcher never sends more than a provider allows: " + refusals);
        var cheap = await ledger.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM jobs WHERE deployment_id = 'cheap' AND state = 'succeeded'");
        var pricey = await ledger.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM jobs WHERE deployment_id = 'pricey' AND state = 'succeeded'");
        (cheap + pricey).ShouldBe(240);
        cheap.ShouldBeGreaterThan(45, "cost-based routing fills the cheap deployment's quota first");
    }

    [Fact]
    public async Task ChineseAndToolPrompts_ProviderCountsItsOwnTokens_NoCallRefusedAndEveryCountAsReserved()
    {
        // The provider counts each prompt with gpt-4o's tokenizer and enforces its tokens per
        // window; the dispatcher, a separate process, counts them at intake.
        const int Tpm = 6_000;
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, new
        {
            QuotaWindow = "00:00:03",
            QuotaWindowPadding = 1.0,
            Deployments = new[] { TokenCountingDeployment.Gpt4o(Tpm, windowSeconds: 3, latencyMs: 5, latencySigma: 0.2) },
            ModelGroups = new[] { new { Name = "gpt-test", MaxAttempts = 10 } },
        });
        var batch = Path.Combine(env.Folder, "tokens.jsonl");
        File.WriteAllLines(batch, Enumerable.Range(1, 80).Select(i => JsonSerializer.Serialize(new
        {
            custom_id = $"req-{i}",
            method = "POST",
            url = "/v1/chat/completions",
            body = i % 2 == 0 ? CjkJobs.Body(i, "gpt-test") : ToolJobs.Body(i, "gpt-test"),
        })));
        var outDir = Path.Combine(env.Folder, "out");
        await using var dispatcher = ProgramProcess.Start("Dispatcher.Host", env.Variables);
        await using var workers = ProgramProcess.Start("Workers.Host", env.Variables);
        await env.WaitForConsumersAsync(dispatcher, QueueNames.Intake);

        await using var submitter = ProgramProcess.Start(
            "Submitter", env.Variables, "submit", batch, "--wait", "--batch-id", "tokens", "--out", outDir, "--timeout", "00:04:00");
        var exit = await submitter.WaitForExitAsync(TimeSpan.FromMinutes(5));

        exit.ShouldBe(0, $"{submitter.Output}\ndispatcher:\n{dispatcher.Output}");
        File.ReadAllLines(Path.Combine(outDir, "tokens-output.jsonl")).Length.ShouldBe(80);
        await using var ledger = new SqliteConnection($"Data Source={env.LedgerPath};Mode=ReadOnly");
        (await ledger.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM attempts WHERE error_kind = 'RateLimited'")).ShouldBe(0, "calls the provider refused");
        var mismatched = (await ledger.QueryAsync<string>(
            "SELECT custom_id || ': reserved ' || est_prompt_tokens || ', provider counted ' || COALESCE(prompt_tokens, -1) FROM jobs WHERE batch_id = 'tokens' AND (prompt_tokens IS NULL OR prompt_tokens <> est_prompt_tokens)")).ToList();
        mismatched.ShouldBeEmpty("the dispatcher reserves the prompt tokens the provider counts");
        (await ledger.ExecuteScalarAsync<long>("SELECT MIN(est_prompt_tokens) FROM jobs WHERE batch_id = 'tokens'")).ShouldBeGreaterThan(40);
    }
}
