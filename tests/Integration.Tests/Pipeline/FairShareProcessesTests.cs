using Dapper;
using Dispatcher.Contracts;
using Integration.Tests.RabbitMq;
using Integration.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Integration.Tests.Pipeline;

/// <summary>Fair shares and the Anthropic limit model through separate processes on a real broker.</summary>
[Collection(RabbitNodeFixture.Name)]
public sealed class FairShareProcessesTests(RabbitNodeFixture rabbit)
{
    [Fact]
    public async Task OutputTokensBind_SmallTenantBehindALargeBacklog_FinishesFirstWithoutProvider429s()
    {
        // An Anthropic-model deployment whose output tokens per window bind: a job reserves its
        // max_tokens (16) of them, so about 20 jobs a window go out, and the provider refuses more.
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, new
        {
            QuotaWindow = "00:00:03",
            // As in the other quota tests on a loaded machine: the time between sending a call and
            // the provider receiving it can be a good share of a three-second window.
            QuotaWindowPadding = 1.0,
            Deployments = new[]
            {
                new
                {
                    Id = "claude-sim",
                    ModelGroup = "gpt-test",
                    Provider = "Simulated",
                    LimitModel = "Anthropic",
                    MaxParallel = 8,
                    Rpm = 6_000,
                    InputTpm = 1_000_000,
                    OutputTpm = 320,
                    BurstFraction = 0.5,
                    Simulation = new { LatencyMs = 5, LatencySigma = 0.2, EnforceOutputTpm = 320, EnforceWindowSeconds = 3 },
                },
            },
            ModelGroups = new[] { new { Name = "gpt-test", MaxAttempts = 10 } },
        });
        var large = env.WriteBatch(100, name: "large.jsonl");
        var small = env.WriteBatch(5, name: "small.jsonl");
        var outDir = Path.Combine(env.Folder, "out");
        await using var dispatcher = ProgramProcess.Start("Dispatcher.Host", env.Variables);
        await using var workers = ProgramProcess.Start("Workers.Host", env.Variables);
        await env.WaitForConsumersAsync(dispatcher, QueueNames.Intake, QueueNames.Lane(0));

        await using var submitLarge = ProgramProcess.Start(
            "Submitter", env.Variables, "submit", large, "--tenant", "a", "--batch-id", "large", "--wait", "--out", outDir, "--timeout", "00:05:00");
        await WaitForSucceededAsync(env.LedgerPath, "large", 10, submitLarge);
        await using var submitSmall = ProgramProcess.Start(
            "Submitter", env.Variables, "submit", small, "--tenant", "b", "--batch-id", "small", "--wait", "--out", outDir, "--timeout", "00:05:00");

        (await submitSmall.WaitForExitAsync(TimeSpan.FromMinutes(4))).ShouldBe(0, submitSmall.Output);
        var largeDone = await SucceededAsync(env.LedgerPath, "large");

        // Taking turns, the small batch's five jobs wait for about five of the large one's; in
        // arrival order they would wait for all ninety left.
        largeDone.ShouldBeLessThan(60, "the small tenant's batch did not wait for the large one's backlog");
        (await submitLarge.WaitForExitAsync(TimeSpan.FromMinutes(4))).ShouldBe(0, submitLarge.Output);
        await using var ledger = new SqliteConnection($"Data Source={env.LedgerPath};Mode=ReadOnly");
        (await ledger.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM attempts WHERE error_kind = 'RateLimited'"))
            .ShouldBe(0, "the dispatcher never sends more output tokens than the provider allows");
        (await ledger.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM jobs WHERE state = 'succeeded'")).ShouldBe(105);
        (await ledger.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM jobs WHERE lane IS NOT NULL OR laned_at IS NOT NULL"))
            .ShouldBe(0, "every job that waited in a lane was sent on");
    }

    private static async Task<long> SucceededAsync(string ledgerPath, string batchId)
    {
        await using var c = new SqliteConnection($"Data Source={ledgerPath};Mode=ReadOnly");
        return await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM jobs WHERE batch_id = @batchId AND state = 'succeeded'", new { batchId });
    }

    private static async Task WaitForSucceededAsync(string ledgerPath, string batchId, int count, ProgramProcess submitter)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            if (File.Exists(ledgerPath))
            {
                try
                {
                    if (await SucceededAsync(ledgerPath, batchId) >= count)
                    {
                        return;
                    }
                }
                catch (SqliteException)
                {
                    // Not created yet, or busy for a moment.
                }
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"fewer than {count} jobs of {batchId} succeeded; submitter:\n{submitter.Output}");
    }
}
