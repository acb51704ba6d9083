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
        var setup = RunSetup.Create(dir, Jobs, rpm: 60_000);

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
        var setup = RunSetup.Create(dir, Jobs, rpm: 60_000);

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
}
