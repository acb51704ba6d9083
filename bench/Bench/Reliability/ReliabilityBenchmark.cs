using System.Globalization;
using Dispatcher.Bench.Faults;
using Dispatcher.Bench.Jobs;
using Dispatcher.Bench.Processes;
using Dispatcher.Contracts;
using Dispatcher.Testing;

namespace Dispatcher.Bench.Reliability;

/// <summary>
/// A batch through the real Dispatcher, Workers and Submitter programs on the private node while
/// the Workers process is killed (kill -9), then the Dispatcher process, then the broker is
/// restarted; afterwards it counts what was lost or duplicated. Optionally the same batch without
/// faults first, for its completion time.
/// </summary>
internal sealed class ReliabilityBenchmark(PrivateRabbitNode node, RepoLayout repo, ReliabilitySettings settings, TextWriter log)
{
    private const string BatchId = "reliability";

    private readonly TimeProvider _clock = TimeProvider.System;

    /// <summary>Runs the baseline (when asked) and the faulted batch.</summary>
    public async Task<IReadOnlyList<ReliabilityRun>> RunAsync(string workFolder, CancellationToken ct)
    {
        var runs = new List<ReliabilityRun>();
        if (settings.Baseline)
        {
            runs.Add(await RunOnceAsync(Path.Combine(workFolder, "baseline"), "no faults", faults: false, ct));
        }

        runs.Add(await RunOnceAsync(Path.Combine(workFolder, "faults"), "workers killed, dispatcher killed, broker restarted", faults: true, ct));
        return runs;
    }

    private async Task<ReliabilityRun> RunOnceAsync(string folder, string label, bool faults, CancellationToken ct)
    {
        log.WriteLine($"  {label}: {settings.Jobs} jobs");
        using var env = await FaultEnvironment.CreateAsync(node, folder, "reliability", e => ReliabilityCatalog.Create(settings, e.CallLogPath), ct);
        var batch = Path.Combine(folder, "batch.jsonl");
        await BatchFileWriter.WriteAsync(batch, settings.Jobs, ReliabilityCatalog.ModelGroup, ct);
        var injected = new List<string>();
        await using var programs = new ProgramSet(env, repo);
        var dispatcher = programs.Start("dispatcher", "Dispatcher.Host");
        var workers = programs.Start("workers", "Workers.Host");
        await env.WaitForConsumersAsync(
            [dispatcher, workers], [QueueNames.Intake, QueueNames.Outcomes, .. ReliabilityCatalog.Deployments.Select(QueueNames.Provider)], ct);

        var started = _clock.GetTimestamp();
        var submitter = programs.Start(
            "submitter", "Submitter",
            "submit", batch, "--wait", "--batch-id", BatchId, "--out", env.OutputFolder,
            "--timeout", settings.Timeout.ToString("c", CultureInfo.InvariantCulture));
        if (faults)
        {
            var ended = await WaitForEndedAsync(env, ReliabilitySettings.KillWorkersAt, submitter, ct);
            await ProgramSet.KillAsync(workers);
            injected.Add($"Workers process killed (SIGKILL) with {ended} of {settings.Jobs} jobs ended; a new one started at once");
            programs.Start("workers", "Workers.Host");

            ended = await WaitForEndedAsync(env, ReliabilitySettings.KillDispatcherAt, submitter, ct);
            await ProgramSet.KillAsync(dispatcher);
            injected.Add($"Dispatcher process killed (SIGKILL) with {ended} of {settings.Jobs} jobs ended; a new one started at once");
            programs.Start("dispatcher", "Dispatcher.Host");

            ended = await WaitForEndedAsync(env, ReliabilitySettings.RestartBrokerAt, submitter, ct);
            var down = _clock.GetTimestamp();
            await node.RestartAsync(ct);
            injected.Add($"broker restarted (full stop and start, {_clock.GetElapsedTime(down).TotalSeconds:0.0} s) with {ended} of {settings.Jobs} jobs ended");
        }

        if (!await submitter.WaitForExitAsync(settings.Timeout, ct))
        {
            throw new TimeoutException($"the batch did not end within {settings.Timeout}; submitter:{Environment.NewLine}{submitter.Tail()}");
        }

        var completion = _clock.GetElapsedTime(started);
        foreach (var fault in injected)
        {
            log.WriteLine("      " + fault);
        }

        var tally = await BatchTally.CountAsync(env, BatchId, settings.Jobs, ct);
        var calls = ProviderCall.ReadAll(env.CallLogPath);
        return new ReliabilityRun(label, settings.Jobs, submitter.ExitCode, tally, calls.Count, ProviderCall.Repeated(calls), completion, injected);
    }

    private Task<long> WaitForEndedAsync(FaultEnvironment env, double share, ChildProgram submitter, CancellationToken ct) =>
        LedgerProgress.WaitForEndedAsync(env.LedgerPath, BatchId, (long)Math.Ceiling(settings.Jobs * share), submitter, settings.Timeout, ct);
}
