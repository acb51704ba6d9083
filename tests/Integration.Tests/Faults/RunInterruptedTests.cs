using System.Text.Json;
using System.Text.RegularExpressions;
using Dapper;
using Integration.Tests.Support;

namespace Integration.Tests.Faults;

/// <summary>The embedded <c>run</c> interrupted with Ctrl+C half-way through its batch.</summary>
public sealed class RunInterruptedTests : IDisposable
{
    private const int Jobs = 400;
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "dispatcher-it-" + Guid.NewGuid().ToString("N"));

    public RunInterruptedTests() => Directory.CreateDirectory(_folder);

    [Fact]
    public async Task Run_CtrlCMidBatch_StopsWithinTheGraceSaysWhatIsUnfinishedAndExitsInterrupted()
    {
        var config = Path.Combine(_folder, "config.json");
        File.WriteAllText(config, JsonSerializer.Serialize(new
        {
            Catalog = new
            {
                // Slow enough that the batch is far from done when Ctrl+C comes.
                Deployments = new[] { FaultCatalog.Simulated("run-a", Path.Combine(_folder, "calls.jsonl"), latencyMs: 200, maxParallel: 4) },
            },
        }));
        var batch = Path.Combine(_folder, "batch.jsonl");
        File.WriteAllLines(batch, Enumerable.Range(1, Jobs).Select(i => JsonSerializer.Serialize(new
        {
            custom_id = $"req-{i}",
            method = "POST",
            url = "/v1/chat/completions",
            body = new { model = FaultCatalog.Group, messages = new[] { new { role = "user", content = $"question {i}" } }, max_tokens = 16 },
        })));
        var ledger = Path.Combine(_folder, "ledger.db");
        await using var run = ProgramProcess.Start(
            "Submitter",
            new Dictionary<string, string> { ["DISPATCHER_Shutdown__GracePeriod"] = "00:00:05" },
            "run", batch, "--config", config, "--ledger", ledger, "--out", Path.Combine(_folder, "out"));
        await BatchOutcome.WaitForEndedAsync(ledger, 10, TimeSpan.FromMinutes(2), () => run.Output);

        await run.SignalAsync("INT");

        // The grace, then time for the runtime to start and end the process on a busy machine.
        var exit = await run.WaitForExitAsync(TimeSpan.FromSeconds(5 + 30));
        exit.ShouldBe(130, run.Output);
        var said = Regex.Match(run.Output, @"stopped; (\d+) jobs unfinished");
        said.Success.ShouldBeTrue(run.Output);
        await using var connection = BatchOutcome.Open(ledger);
        var ended = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM jobs WHERE state IN ('succeeded', 'failed')");
        long.Parse(said.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture).ShouldBe(Jobs - ended, run.Output);
        ended.ShouldBeLessThan(Jobs, "Ctrl+C came before the batch ended");
        run.Output.ShouldNotContain("Unhandled exception", Case.Insensitive, run.Output);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
