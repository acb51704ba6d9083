using System.Globalization;
using System.Text.Json;
using Dapper;
using Dispatcher.Contracts;
using Integration.Tests.Faults;
using Integration.Tests.RabbitMq;
using Integration.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Integration.Tests.Pipeline;

/// <summary>Time-based routing on a real broker, with dispatcher, workers and submitter as separate processes.</summary>
[Collection(RabbitNodeFixture.Name)]
public sealed class AvailabilityProcessesTests(RabbitNodeFixture rabbit)
{
    [Fact]
    public async Task Batch_DeploymentWindowOpensAfterTheBatchStarts_NoCallBeforeAndEveryJobSucceedsOnceAfter()
    {
        // The only deployment's window opens, to the second in UTC, after the processes are up and
        // the batch is submitted, and stays open for hours.
        var opens = DateTimeOffset.UtcNow.AddSeconds(25);
        opens = new DateTimeOffset(opens.Ticks - (opens.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, new
        {
            Deployments = new[]
            {
                new
                {
                    Id = "night-box",
                    ModelGroup = "gpt-test",
                    Provider = "Simulated",
                    MaxParallel = 8,
                    Simulation = new { LatencyMs = 2, LatencySigma = 0.2 },
                    Availability = new[] { new { From = Clock(opens), To = Clock(opens.AddHours(2)), TimeZone = "UTC" } },
                },
            },
        });
        var batch = env.WriteBatch(60);
        var outDir = Path.Combine(env.Folder, "out");
        await using var dispatcher = ProgramProcess.Start("Dispatcher.Host", env.Variables);
        await using var workers = ProgramProcess.Start("Workers.Host", env.Variables);
        await env.WaitForConsumersAsync(dispatcher, QueueNames.Intake);
        await using var submitter = ProgramProcess.Start(
            "Submitter", env.Variables, "submit", batch, "--wait", "--batch-id", "night-batch", "--out", outDir, "--timeout", "00:03:00");
        await BatchOutcome.WaitForJobsAsync(env.LedgerPath, "1 = 1", 60, TimeSpan.FromSeconds(60), () => "");
        DateTimeOffset.UtcNow.ShouldBeLessThan(opens, "the whole batch was taken in before the window opened");

        var exit = await submitter.WaitForExitAsync(TimeSpan.FromMinutes(4));

        exit.ShouldBe(0, $"{submitter.Output}\ndispatcher:\n{dispatcher.Output}");
        var lines = File.ReadAllLines(Path.Combine(outDir, "night-batch-output.jsonl"));
        lines.Length.ShouldBe(60);
        lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()).Distinct().Count().ShouldBe(60);
        await using var ledger = new SqliteConnection($"Data Source={env.LedgerPath};Mode=ReadOnly");
        (await ledger.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM jobs WHERE state = 'succeeded' AND deployment_id = 'night-box'")).ShouldBe(60);
        var sent = (await ledger.QueryAsync<string>("SELECT dispatched_at FROM attempts")).Select(t => DateTimeOffset.Parse(t, CultureInfo.InvariantCulture)).ToList();
        sent.Count.ShouldBe(60, "one call a job");
        sent.Min().ShouldBeGreaterThanOrEqualTo(opens, "no call before the window opened");
    }

    private static string Clock(DateTimeOffset at) => at.ToString("HH:mm:ss", CultureInfo.InvariantCulture);
}
