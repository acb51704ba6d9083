using System.Text.Json;
using Dispatcher.Ledger;
using Dispatcher.Tests.Support;
using Integration.Tests.Faults;
using Integration.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Integration.Tests.Embedded;

/// <summary>
/// <c>cancel</c>, <c>pause</c> and <c>resume</c> run as a second process, as from another terminal,
/// on a batch an embedded <c>run</c> is running: no broker and no API between them, only the ledger
/// file both name with <c>--ledger</c>.
/// </summary>
public sealed class RunBatchCommandsTests
{
    private const int Jobs = 60;

    // A quota tight enough that most of the batch waits for it, not yet started, when a command
    // comes: about four jobs a second.
    private static RunSetup Setup(TempDirectory dir) => RunSetup.Create(dir, Jobs, rpm: 4, quotaWindow: TimeSpan.FromSeconds(1));

    [Fact]
    public async Task Cancel_FromAnotherProcessWhileRunRuns_RunEndsCancelledUnstartedJobsBatchCancelledFinishedKept()
    {
        using var dir = new TempDirectory();
        var setup = Setup(dir);
        await using var run = ProgramProcess.Start("Submitter", setup.Variables(latencyMs: 300), setup.RunArgs());
        var batchId = await RunLedger.WaitForSucceededAsync(setup.LedgerPath, atLeast: 6, run);
        var finishedBefore = RunLedger.JobIds(setup.LedgerPath, "state = 'succeeded'");

        await using var cancel = ProgramProcess.Start("Submitter", new Dictionary<string, string>(), "cancel", batchId, "--ledger", setup.LedgerPath, "--reason", "wrong prompt");

        (await cancel.WaitForExitAsync(RunLedger.RunTimeout)).ShouldBe(0, cancel.Output);
        cancel.Output.ShouldContain($"batch {batchId}: cancell", Case.Sensitive, cancel.Output);
        (await run.WaitForExitAsync(RunLedger.RunTimeout)).ShouldBe(4, "a cancelled batch did not do all it was asked; " + run.Output);

        var status = (await RunLedger.Open(setup.LedgerPath).GetBatchStatusAsync(batchId, default))!;
        status.State.ShouldBe(BatchState.Cancelled);
        status.ControlReason.ShouldBe("wrong prompt");
        status.Failed.ShouldBeGreaterThan(0, "the batch was cancelled well before its end");
        (status.Succeeded + status.Failed).ShouldBe(Jobs);
        var output = ResultLines(dir.File($"out/{batchId}-output.jsonl"));
        var errors = ResultLines(dir.File($"out/{batchId}-errors.jsonl"));
        output.Count.ShouldBe((int)status.Succeeded);
        errors.Count.ShouldBe((int)status.Failed);
        errors.ShouldAllBe(e => e.GetProperty("error").GetProperty("code").GetString() == "batch_cancelled");
        finishedBefore.ShouldBeSubsetOf(RunLedger.JobIds(setup.LedgerPath, "state = 'succeeded'"), "the jobs that finished before the cancel are kept");
        // Only attempts under way at the cancel finished after it: the provider saw each job at most
        // once and no job it never saw succeeded.
        var calls = CallLog.Read(setup.CallLog);
        calls.Count.ShouldBe((int)status.Succeeded);
        calls.Select(c => c.JobId).Distinct().Count().ShouldBe(calls.Count);
        PendingRequests(setup.LedgerPath).ShouldBe(0, "the run applied the request");
    }

    [Fact]
    public async Task PauseThenResume_FromOtherProcessesWhileRunRuns_NoCallWhilePausedThenEveryJobSucceeds()
    {
        using var dir = new TempDirectory();
        var setup = Setup(dir);
        await using var run = ProgramProcess.Start("Submitter", setup.Variables(latencyMs: 300), setup.RunArgs());
        var batchId = await RunLedger.WaitForSucceededAsync(setup.LedgerPath, atLeast: 6, run);

        await using (var pause = ProgramProcess.Start("Submitter", new Dictionary<string, string>(), "pause", batchId, "--ledger", setup.LedgerPath))
        {
            (await pause.WaitForExitAsync(RunLedger.RunTimeout)).ShouldBe(0, pause.Output);
            pause.Output.ShouldContain($"batch {batchId}: paused", Case.Sensitive, pause.Output);
        }

        // The attempts under way finish; then nothing of the batch is called while it stays paused.
        await WaitForAsync(() => Count(setup.LedgerPath, "SELECT COUNT(*) FROM jobs WHERE state = 'dispatched'") == 0, "the attempts under way to finish", run);
        var callsPaused = CallLog.Read(setup.CallLog).Count;
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        CallLog.Read(setup.CallLog).Count.ShouldBe(callsPaused, "no attempt starts while the batch is paused");
        run.HasExited.ShouldBeFalse(run.Output);
        callsPaused.ShouldBeLessThan(Jobs, "the batch was paused part-way");

        await using (var resume = ProgramProcess.Start("Submitter", new Dictionary<string, string>(), "resume", batchId, "--ledger", setup.LedgerPath))
        {
            (await resume.WaitForExitAsync(RunLedger.RunTimeout)).ShouldBe(0, resume.Output);
            resume.Output.ShouldContain($"batch {batchId}: in_progress", Case.Sensitive, resume.Output);
        }

        (await run.WaitForExitAsync(RunLedger.RunTimeout)).ShouldBe(0, run.Output);
        var status = (await RunLedger.Open(setup.LedgerPath).GetBatchStatusAsync(batchId, default))!;
        status.State.ShouldBe(BatchState.Completed);
        status.Succeeded.ShouldBe(Jobs);
        ResultLines(dir.File($"out/{batchId}-output.jsonl")).Count.ShouldBe(Jobs);
        var calls = CallLog.Read(setup.CallLog);
        calls.Select(c => c.JobId).Distinct().Count().ShouldBe(Jobs);
        CallLog.Repeated(calls).ShouldBeEmpty("a job put aside by the pause is sent once after the resume");
        PendingRequests(setup.LedgerPath).ShouldBe(0);
    }

    [Fact]
    public async Task Cancel_NoRunHoldsTheLedgerAndNoBroker_SaysNoDispatcherIsRunningAndRecordsNothing()
    {
        using var dir = new TempDirectory();
        var setup = Setup(dir);
        string batchId;
        await using (var run = ProgramProcess.Start("Submitter", setup.Variables(latencyMs: 300), setup.RunArgs()))
        {
            batchId = await RunLedger.WaitForSucceededAsync(setup.LedgerPath, atLeast: 2, run);
            run.Kill();
        }

        await using var cancel = ProgramProcess.Start("Submitter", new Dictionary<string, string>(), "cancel", batchId, "--ledger", setup.LedgerPath);

        (await cancel.WaitForExitAsync(RunLedger.RunTimeout)).ShouldBe(1, cancel.Output);
        var said = RunLedger.Flat(cancel.Output);
        said.ShouldContain($"no dispatcher is running for the ledger {setup.LedgerPath}");
        said.ShouldContain("Start `run` again to resume the batch");
        said.ShouldNotContain("broker connection", Case.Insensitive);
        Count(setup.LedgerPath, "SELECT COUNT(*) FROM batch_requests").ShouldBe(0, "a request no run takes would apply at some later run");
    }

    private static long Count(string ledgerPath, string sql)
    {
        using var c = new SqliteConnection($"Data Source={ledgerPath};Mode=ReadOnly;Pooling=False");
        c.Open();
        using var query = c.CreateCommand();
        query.CommandText = sql;
        return (long)query.ExecuteScalar()!;
    }

    private static long PendingRequests(string ledgerPath) => Count(ledgerPath, "SELECT COUNT(*) FROM batch_requests WHERE applied_at IS NULL");

    private static List<JsonElement> ResultLines(string path) =>
        File.Exists(path) ? [.. File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone())] : [];

    private static async Task WaitForAsync(Func<bool> condition, string what, ProgramProcess run)
    {
        var deadline = DateTime.UtcNow + RunLedger.RunTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (condition())
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"timed out waiting for {what}; output:\n{run.Output}");
    }
}
