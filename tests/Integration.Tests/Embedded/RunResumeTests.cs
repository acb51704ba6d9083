using System.Text.Json;
using Dispatcher.Ledger;
using Dispatcher.Tests.Support;
using Integration.Tests.Faults;
using Integration.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Integration.Tests.Embedded;

/// <summary>
/// <c>Submitter run</c> killed part-way through a batch, then run again as a user would: the
/// same command continues the batch it left (its finished jobs kept, its unfinished ones sent
/// again), <c>--new</c> starts afresh and ends the unfinished batch, and a second run never
/// works on a ledger another run is using.
/// </summary>
public sealed class RunResumeTests
{
    private const int Jobs = 120;
    [Fact]
    public async Task Run_KilledMidBatchThenRunAgain_ResumesTheSameBatchAndCallsNoFinishedJobAgain()
    {
        using var dir = new TempDirectory();
        var setup = Setup.Create(dir);

        string batchId;
        HashSet<Guid> finishedBeforeKill;
        await using (var first = ProgramProcess.Start("Submitter", setup.Variables(latencyMs: 1_500), setup.RunArgs()))
        {
            batchId = await RunLedger.WaitForSucceededAsync(setup.LedgerPath, atLeast: Jobs / 5, first);

            // Meanwhile a second run of the same ledger is refused: it would take this one's jobs
            // for abandoned and send them again.
            await using (var second = ProgramProcess.Start("Submitter", setup.Variables(latencyMs: 10), setup.RunArgs()))
            {
                (await second.WaitForExitAsync(RunLedger.RunTimeout)).ShouldBe(1);
                second.Output.ShouldContain("another run is using the ledger");
            }

            first.Kill();
            finishedBeforeKill = RunLedger.JobIds(setup.LedgerPath, "state = 'succeeded'");
        }

        finishedBeforeKill.Count.ShouldBeInRange(Jobs / 5, Jobs - 1, "the batch must be killed part-way");
        await using (var again = ProgramProcess.Start("Submitter", setup.Variables(latencyMs: 10), setup.RunArgs()))
        {
            (await again.WaitForExitAsync(RunLedger.RunTimeout)).ShouldBe(0, again.Output);
            RunLedger.Flat(again.Output).ShouldContain($"Resuming batch {batchId}");
        }

        var ledger = RunLedger.Open(setup.LedgerPath);
        (await ledger.ListBatchesAsync(10, default)).Select(b => b.BatchId).ShouldBe([batchId], "no second batch");
        var status = (await ledger.GetBatchStatusAsync(batchId, default))!;
        status.IsComplete.ShouldBeTrue();
        status.Succeeded.ShouldBe(Jobs);
        OutputCustomIds(dir.File($"out/{batchId}-output.jsonl")).ShouldBe(Enumerable.Range(1, Jobs).Select(i => $"req-{i}"), ignoreOrder: true);

        var calls = CallLog.Read(setup.CallLog);
        calls.Where(c => finishedBeforeKill.Contains(c.JobId)).GroupBy(c => c.JobId).ShouldAllBe(
            g => g.Count() == 1, "a job that had ended before the kill is never called again");
        calls.Select(c => c.JobId).Distinct().Count().ShouldBe(Jobs);
    }

    [Fact]
    public async Task Run_New_StartsAnotherBatchAndEndsTheUnfinishedOneAsCancelled()
    {
        using var dir = new TempDirectory();
        var setup = Setup.Create(dir);

        string first;
        await using (var killed = ProgramProcess.Start("Submitter", setup.Variables(latencyMs: 1_500), setup.RunArgs()))
        {
            first = await RunLedger.WaitForSucceededAsync(setup.LedgerPath, atLeast: Jobs / 5, killed);
            killed.Kill();
        }

        await using (var fresh = ProgramProcess.Start("Submitter", setup.Variables(latencyMs: 10), [.. setup.RunArgs(), "--new"]))
        {
            (await fresh.WaitForExitAsync(RunLedger.RunTimeout)).ShouldBe(0, fresh.Output);
            RunLedger.Flat(fresh.Output).ShouldContain($"Batch {first}, an earlier run of this file, ended");
        }

        var ledger = RunLedger.Open(setup.LedgerPath);
        var batches = await ledger.ListBatchesAsync(10, default);
        batches.Count.ShouldBe(2);
        batches.ShouldAllBe(b => b.IsComplete, "no batch may stay running with nothing working on it");
        var old = batches.Single(b => b.BatchId == first);
        old.Failed.ShouldBe(Jobs - old.Succeeded);
        (await ledger.ListFailedJobsAsync(first, Jobs, default)).ShouldAllBe(j => j.ErrorKind == "BatchCancelled");
        batches.Single(b => b.BatchId != first).Succeeded.ShouldBe(Jobs);
    }

    private static IEnumerable<string> OutputCustomIds(string path) =>
        File.ReadLines(path).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()!);

    // A batch file, a one-deployment catalog whose simulated provider logs its calls, and where the ledger and results go.
    private sealed record Setup(string Folder, string BatchPath, string ConfigPath, string LedgerPath, string CallLog)
    {
        public static Setup Create(TempDirectory dir)
        {
            var setup = new Setup(dir.Path, dir.File("batch.jsonl"), dir.File("config.json"), dir.File("ledger.db"), dir.File("calls.jsonl"));
            File.WriteAllLines(setup.BatchPath, Enumerable.Range(1, Jobs).Select(i => JsonSerializer.Serialize(new
            {
                custom_id = $"req-{i}",
                method = "POST",
                url = "/v1/chat/completions",
                body = new { model = "gpt-test", messages = new[] { new { role = "user", content = $"question {i}" } }, max_tokens = 16 },
            })));
            File.WriteAllText(setup.ConfigPath, JsonSerializer.Serialize(new
            {
                Catalog = new
                {
                    Deployments = new[]
                    {
                        new
                        {
                            Id = "sim", ModelGroup = "gpt-test", Provider = "Simulated", MaxParallel = 8, Rpm = 60_000, TimeoutSeconds = 30,
                            Simulation = new { LatencyMs = 10, LatencySigma = 0.0, ErrorRate = 0.0, RateLimitRate = 0.0, CallLogPath = setup.CallLog },
                        },
                    },
                },
            }));
            return setup;
        }

        public string[] RunArgs() => ["run", BatchPath, "--config", ConfigPath, "--ledger", LedgerPath, "--out", Path.Combine(Folder, "out")];

        // The provider's latency for this run: slow while a run is to be killed part-way, quick to finish.
        public IReadOnlyDictionary<string, string> Variables(int latencyMs) => new Dictionary<string, string>
        {
            ["DISPATCHER_Catalog__Deployments__0__Simulation__LatencyMs"] = latencyMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
    }
}
