using System.Text.Json;
using Dispatcher.Contracts;
using Dispatcher.Ledger;
using Integration.Tests.Faults;
using Integration.Tests.RabbitMq;
using Integration.Tests.Support;
using Microsoft.Extensions.Options;

namespace Integration.Tests.Pipeline;

// Cancel, pause and resume from the CLI in a process of its own, and a completion window
// passing, while a batch runs through a dispatcher and workers in theirs, over RabbitMQ.
[Collection(RabbitNodeFixture.Name)]
public sealed class BatchCancelProcessesTests(RabbitNodeFixture rabbit)
{
    private const string CallLogFile = "calls.jsonl";

    // About four jobs a second, so a batch is well under way when a command lands; every call
    // the provider receives is written to the folder's call log.
    private static object SlowCatalog(string folder) => new
    {
        QuotaWindow = "00:00:01",
        Deployments = new[]
        {
            new
            {
                Id = "it-slow", ModelGroup = "gpt-test", Provider = "Simulated", MaxParallel = 8, Rpm = 4, BurstFraction = 0.5,
                InputPricePerMillion = 1.0, OutputPricePerMillion = 2.0,
                Simulation = new { LatencyMs = 300, LatencySigma = 0.0, Seed = 1, CallLogPath = Path.Combine(folder, CallLogFile) },
            },
        },
    };

    private static async Task<BatchStatus> WaitForAsync(JobLedger ledger, string batchId, Func<BatchStatus, bool> condition, string what, params ProgramProcess[] programs)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (await ledger.GetBatchStatusAsync(batchId, default) is { } status && condition(status))
            {
                return status;
            }

            DateTime.UtcNow.ShouldBeLessThan(deadline, $"{what}: not reached; " + string.Join("\n", programs.Select(p => p.Output)));
            await Task.Delay(100);
        }
    }

    private static async Task<(int Exit, string Output)> CliAsync(PipelineEnvironment env, params string[] args)
    {
        await using var cli = ProgramProcess.Start("Submitter", env.Variables, args);
        var exit = await cli.WaitForExitAsync(TimeSpan.FromMinutes(1));
        return (exit, cli.Output);
    }

    private static List<JsonElement> Lines(string path) => File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    [Fact]
    public async Task PauseThenResume_FromTheCliWhileSubmitWaits_NothingLostNoJobCalledTwice()
    {
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, SlowCatalog);
        var batch = env.WriteBatch(40);
        var outDir = Path.Combine(env.Folder, "out");
        var callLog = Path.Combine(env.Folder, CallLogFile);
        await using var dispatcher = ProgramProcess.Start("Dispatcher.Host", env.Variables);
        await using var workers = ProgramProcess.Start("Workers.Host", env.Variables);
        await env.WaitForConsumersAsync(dispatcher, QueueNames.Intake, QueueNames.BatchControl);
        var url = (await dispatcher.ListeningUrlAsync()).ToString();
        await using var ledger = new JobLedger(Options.Create(new LedgerOptions { Path = env.LedgerPath }), TimeProvider.System);
        await using var submitter = ProgramProcess.Start(
            "Submitter", env.Variables, "submit", batch, "--wait", "--batch-id", "it-pause", "--out", outDir, "--timeout", "00:03:00");
        await WaitForAsync(ledger, "it-pause", s => s.Succeeded >= 3, "a few jobs done", submitter, dispatcher);

        var (pauseExit, pauseOutput) = await CliAsync(env, "pause", "it-pause", "--dispatcher", url);
        var paused = await WaitForAsync(
            ledger, "it-pause", s => s.State == BatchState.Paused && s.Dispatched == 0 && s.NotYetReceived == 0, "paused, the attempts in flight finished", dispatcher);
        var callsAtPause = CallLog.Read(callLog).Count;
        var (statusExit, statusOutput) = await CliAsync(env, "status", "it-pause", "--dispatcher", url);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var stillPaused = await ledger.GetBatchStatusAsync("it-pause", default);
        var callsWhilePaused = CallLog.Read(callLog).Count;
        var (resumeExit, resumeOutput) = await CliAsync(env, "resume", "it-pause", "--dispatcher", url);
        var exit = await submitter.WaitForExitAsync(TimeSpan.FromMinutes(2));

        pauseExit.ShouldBe(0, pauseOutput);
        pauseOutput.ShouldContain("batch it-pause: paused");
        statusExit.ShouldBe(0, statusOutput);
        statusOutput.Split('\n').ShouldContain(l => l.Contains("it-pause", StringComparison.Ordinal) && l.Contains("paused", StringComparison.Ordinal), statusOutput);
        stillPaused!.State.ShouldBe(BatchState.Paused);
        stillPaused.Succeeded.ShouldBe(paused.Succeeded, "no job of the paused batch ended while it was paused");
        stillPaused.Queued.ShouldBe(40 - paused.Succeeded, "its jobs stayed queued, none lost");
        callsWhilePaused.ShouldBe(callsAtPause, "no call reached the provider while the batch was paused");
        resumeExit.ShouldBe(0, resumeOutput);
        resumeOutput.ShouldMatch("batch it-pause: (in_progress|completed)");
        exit.ShouldBe(0, $"submitter output:\n{submitter.Output}\ndispatcher:\n{dispatcher.Output}");
        var status = (await ledger.GetBatchStatusAsync("it-pause", default))!;
        status.State.ShouldBe(BatchState.Completed);
        (status.Succeeded, status.Failed).ShouldBe((40, 0));
        Lines(Path.Combine(outDir, "it-pause-output.jsonl")).Select(l => l.GetProperty("custom_id").GetString()).Distinct().Count().ShouldBe(40);
        File.ReadAllLines(Path.Combine(outDir, "it-pause-errors.jsonl")).ShouldBeEmpty();
        var calls = CallLog.Read(callLog);
        calls.Count.ShouldBe(40, "every job was called once: none lost, none sent twice");
        calls.Select(c => c.JobId).Distinct().Count().ShouldBe(40);
    }

    [Fact]
    public async Task CompletionWindow_PassesWhileSubmitWaits_FinishedKeptTheRestBatchExpiredExit4()
    {
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, SlowCatalog);
        var batch = env.WriteBatch(60);
        var outDir = Path.Combine(env.Folder, "out");
        await using var dispatcher = ProgramProcess.Start("Dispatcher.Host", env.Variables);
        await using var workers = ProgramProcess.Start("Workers.Host", env.Variables);
        await env.WaitForConsumersAsync(dispatcher, QueueNames.Intake, QueueNames.BatchControl);
        await using var ledger = new JobLedger(Options.Create(new LedgerOptions { Path = env.LedgerPath }), TimeProvider.System);

        var (exit, output) = await CliAsync(env, "submit", batch, "--wait", "--batch-id", "it-expire", "--completion-window", "4s", "--out", outDir, "--timeout", "00:00:50");

        exit.ShouldBe(4, $"an expired batch exits 4; submitter output:\n{output}\ndispatcher:\n{dispatcher.Output}");
        var status = (await ledger.GetBatchStatusAsync("it-expire", default))!;
        status.State.ShouldBe(BatchState.Expired);
        status.Succeeded.ShouldBeGreaterThan(0, "what finished before the window ended is kept");
        status.Failed.ShouldBeGreaterThan(0);
        (status.Succeeded + status.Failed).ShouldBe(60);
        var lines = Lines(Path.Combine(outDir, "it-expire-output.jsonl"));
        var errors = Lines(Path.Combine(outDir, "it-expire-errors.jsonl"));
        lines.Count.ShouldBe((int)status.Succeeded);
        errors.Count.ShouldBe((int)status.Failed);
        lines.Concat(errors).Select(l => l.GetProperty("custom_id").GetString()).Distinct().Count().ShouldBe(60);
        errors.ShouldAllBe(e => e.GetProperty("error").GetProperty("code").GetString() == "batch_expired");
        // No call started after the window ended, and each that started was kept, once.
        var expiresAt = DateTimeOffset.Parse(status.ExpiresAt!, System.Globalization.CultureInfo.InvariantCulture);
        var calls = CallLog.Read(Path.Combine(env.Folder, CallLogFile));
        calls.Count.ShouldBe((int)status.Succeeded);
        calls.Select(c => c.JobId).Distinct().Count().ShouldBe(calls.Count);
        calls.ShouldAllBe(c => c.At <= expiresAt + TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Cancel_FromTheCliWhileSubmitWaits_BatchEndsCancelledBothFilesWrittenExit4()
    {
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, SlowCatalog);
        var batch = env.WriteBatch(60);
        var outDir = Path.Combine(env.Folder, "out");
        await using var dispatcher = ProgramProcess.Start("Dispatcher.Host", env.Variables);
        await using var workers = ProgramProcess.Start("Workers.Host", env.Variables);
        await env.WaitForConsumersAsync(dispatcher, QueueNames.Intake, QueueNames.BatchControl);
        var dispatcherUrl = await dispatcher.ListeningUrlAsync();
        await using var ledger = new JobLedger(Options.Create(new LedgerOptions { Path = env.LedgerPath }), TimeProvider.System);

        await using var submitter = ProgramProcess.Start(
            "Submitter", env.Variables, "submit", batch, "--wait", "--batch-id", "it-cancel", "--out", outDir, "--timeout", "00:03:00", "--metadata", "team=search");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((await ledger.GetBatchStatusAsync("it-cancel", default))?.Succeeded is not >= 3)
        {
            DateTime.UtcNow.ShouldBeLessThan(deadline, $"no progress; submitter:\n{submitter.Output}\ndispatcher:\n{dispatcher.Output}");
            await Task.Delay(100);
        }

        await using var cancel = ProgramProcess.Start(
            "Submitter", env.Variables, "cancel", "it-cancel", "--dispatcher", dispatcherUrl.ToString(), "--reason", "changed my mind");
        var cancelExit = await cancel.WaitForExitAsync(TimeSpan.FromMinutes(1));
        var exit = await submitter.WaitForExitAsync(TimeSpan.FromMinutes(3));

        cancelExit.ShouldBe(0, $"cancel output:\n{cancel.Output}\ndispatcher:\n{dispatcher.Output}");
        cancel.Output.ShouldMatch(@"batch it-cancel: cancell(ing|ed) \(");
        exit.ShouldBe(4, $"a cancelled batch exits 4; submitter output:\n{submitter.Output}\ndispatcher:\n{dispatcher.Output}");
        submitter.Output.ShouldContain("cancelled");
        var status = await ledger.GetBatchStatusAsync("it-cancel", default);
        status!.State.ShouldBe(BatchState.Cancelled);
        status.Succeeded.ShouldBeGreaterThanOrEqualTo(3);
        status.Failed.ShouldBeGreaterThan(0);
        // What the batch was submitted with and why it was cancelled are kept with it, over RabbitMQ as through the Batch API.
        status.Metadata!["team"].ShouldBe("search");
        status.ControlReason.ShouldBe("changed my mind");
        var output = File.ReadAllLines(Path.Combine(outDir, "it-cancel-output.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var errors = File.ReadAllLines(Path.Combine(outDir, "it-cancel-errors.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        output.Count.ShouldBe((int)status.Succeeded);
        errors.Count.ShouldBe((int)status.Failed);
        output.Concat(errors).Select(l => l.GetProperty("custom_id").GetString()).Distinct().Count().ShouldBe(60);
        errors.ShouldAllBe(e => e.GetProperty("error").GetProperty("code").GetString() == "batch_cancelled");
        // The jobs the cancel itself ended carry its reason (a line arriving later says only that the batch was cancelled).
        errors.ShouldContain(e => e.GetProperty("error").GetProperty("message").GetString()!.Contains("changed my mind"));
    }
}
