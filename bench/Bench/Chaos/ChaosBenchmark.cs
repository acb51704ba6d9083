using System.Globalization;
using Dispatcher.Bench.Faults;
using Dispatcher.Bench.Jobs;
using Dispatcher.Bench.Processes;
using Dispatcher.Bench.Quota;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Testing;

namespace Dispatcher.Bench.Chaos;

/// <summary>
/// A large batch through the real programs as separate processes (one Dispatcher, two Workers,
/// <c>Submitter submit --wait</c>) against unreliable simulated providers, while faults drawn at
/// random (seeded) every few seconds kill a worker or the dispatcher, restart the broker, or
/// publish a chunk of the file again. Afterwards it checks every guarantee against the result
/// files, the ledger, the providers' call audit and the dispatcher's status.
/// </summary>
internal sealed class ChaosBenchmark(PrivateRabbitNode node, RepoLayout repo, ChaosSettings settings, TextWriter log)
{
    private const string BatchId = "chaos";

    // Programs start in a few seconds; the outage is timed from when the submit is likely to begin.
    private static readonly TimeSpan StartAllowance = TimeSpan.FromSeconds(15);

    // Once the batch has ended, every window has to pass once before the dispatcher's windows are empty.
    private static readonly TimeSpan SettleTimeout = (ChaosCatalog.QuotaWindow * 3) + TimeSpan.FromSeconds(30);

    private static readonly (FaultKind Kind, int Weight)[] Kinds =
    [
        (FaultKind.WorkerKilled, 3),
        (FaultKind.DispatcherKilled, 2),
        (FaultKind.BrokerRestarted, 1),
        (FaultKind.ChunkRepublished, 2),
    ];

    private readonly TimeProvider _clock = TimeProvider.System;

    /// <summary>Runs the batch <see cref="ChaosSettings.Runs"/> times, each with its own seed.</summary>
    public async Task<IReadOnlyList<ChaosRun>> RunAsync(string workFolder, CancellationToken ct)
    {
        var runs = new List<ChaosRun>();
        for (var n = 1; n <= settings.Runs; n++)
        {
            runs.Add(await RunOnceAsync(n, settings.Seed + n - 1, Path.Combine(workFolder, $"chaos-{n}"), ct));
        }

        return runs;
    }

    private async Task<ChaosRun> RunOnceAsync(int number, int seed, string folder, CancellationToken ct)
    {
        log.WriteLine($"  run {number}: seed {seed}, {settings.Jobs} jobs, faults for up to {settings.Duration.TotalMinutes:0.#} min");
        var random = new Random(seed);
        var outageStartsAt = _clock.GetUtcNow() + StartAllowance + ChaosCatalog.OutageAfter;
        using var env = await FaultEnvironment.CreateAsync(node, folder, "chaos", e => ChaosCatalog.Create(settings, e.CallLogPath, outageStartsAt, seed), ct);
        var batch = Path.Combine(folder, "batch.jsonl");
        await BatchFileWriter.WriteAsync(batch, settings.Jobs, ChaosCatalog.ModelGroup, ct);
        var republisher = new ChunkRepublisher(env.ConnectionFactory(), env.LedgerPath, BatchId, await File.ReadAllLinesAsync(batch, ct));

        await using var programs = new ProgramSet(env, repo);
        var dispatcher = programs.Start("dispatcher", "Dispatcher.Host");
        var workers = Enumerable.Range(0, ChaosSettings.Workers).Select(_ => programs.Start("workers", "Workers.Host")).ToArray();
        await env.WaitForConsumersAsync(
            [dispatcher, .. workers], [QueueNames.Intake, QueueNames.Outcomes, .. ChaosCatalog.Deployments.Select(QueueNames.Provider)], ct);

        var startedAt = _clock.GetUtcNow();
        var started = _clock.GetTimestamp();
        var submitter = programs.Start(
            "submitter", "Submitter",
            "submit", batch, "--wait", "--batch-id", BatchId, "--out", env.OutputFolder,
            "--timeout", settings.Timeout.ToString("c", CultureInfo.InvariantCulture));
        log.WriteLine(
            $"      outage of {ChaosCatalog.OutageDeployment} from +{(outageStartsAt - startedAt).TotalSeconds:0.0} s " +
            $"for {ChaosCatalog.OutageLength.TotalSeconds:0} s");

        var faults = new List<InjectedFault>();
        while (_clock.GetElapsedTime(started) < settings.Duration)
        {
            var pause = ChaosSettings.MinPause + ((ChaosSettings.MaxPause - ChaosSettings.MinPause) * random.NextDouble());
            if (await submitter.WaitForExitAsync(pause, ct))
            {
                break;
            }

            var kind = Draw(random);
            var ended = await LedgerProgress.EndedAsync(env.LedgerPath, BatchId, ct);
            var at = _clock.GetUtcNow();
            var elapsed = _clock.GetElapsedTime(started);
            InjectedFault fault;
            switch (kind)
            {
                case FaultKind.WorkerKilled:
                    var slot = random.Next(workers.Length);
                    var killedPid = workers[slot].Id;
                    await ProgramSet.KillAsync(workers[slot]);
                    workers[slot] = programs.Start("workers", "Workers.Host");
                    fault = new InjectedFault(at, elapsed, kind, ended, $"workers pid {killedPid} killed, pid {workers[slot].Id} started", killedPid);
                    break;
                case FaultKind.DispatcherKilled:
                    var deadPid = dispatcher.Id;
                    await ProgramSet.KillAsync(dispatcher);
                    dispatcher = programs.Start("dispatcher", "Dispatcher.Host");
                    fault = new InjectedFault(at, elapsed, kind, ended, $"dispatcher pid {deadPid} killed, pid {dispatcher.Id} started", deadPid);
                    break;
                case FaultKind.BrokerRestarted:
                    var down = _clock.GetTimestamp();
                    await node.RestartAsync(ct);
                    fault = new InjectedFault(at, elapsed, kind, ended, $"node stopped and started in {_clock.GetElapsedTime(down).TotalSeconds:0.0} s");
                    break;
                default:
                    // Among the lines already submitted (the file goes out in order, and a line has
                    // ended only once it was), so the republished chunk is one the ledger knows.
                    var submitted = (int)Math.Min(Math.Max(ended, ChaosSettings.ChunkJobs), settings.Jobs);
                    var first = random.Next(1, submitted - ChaosSettings.ChunkJobs + 2);
                    var sameJobIds = random.Next(2) == 0;
                    var sent = await republisher.RepublishAsync(first, ChaosSettings.ChunkJobs, sameJobIds, ct);
                    fault = new InjectedFault(
                        at, elapsed, kind, ended,
                        $"{sent} lines from request-{first} again, {(sameJobIds ? "same job ids" : "fresh job ids")}");
                    break;
            }

            faults.Add(fault);
            log.WriteLine($"      +{fault.Elapsed.TotalSeconds,6:0.0} s  {fault.Kind,-17} {fault.Ended,7:N0} ended  {fault.Detail}");
        }

        if (!await submitter.WaitForExitAsync(settings.Timeout, ct))
        {
            throw new TimeoutException($"the batch did not end within {settings.Timeout}; submitter:{Environment.NewLine}{submitter.Tail()}");
        }

        var completion = _clock.GetElapsedTime(started);
        log.WriteLine($"      batch ended after {completion.TotalSeconds:0.0} s (submitter exit {submitter.ExitCode}); checking");
        return await CheckAsync(number, seed, env, submitter.ExitCode, dispatcher, completion, faults, ct);
    }

    private async Task<ChaosRun> CheckAsync(
        int number, int seed, FaultEnvironment env, int exitCode, ChildProgram dispatcher, TimeSpan completion, IReadOnlyList<InjectedFault> faults, CancellationToken ct)
    {
        var failures = new List<string>();
        if (exitCode != 0)
        {
            failures.Add($"the Submitter exited with {exitCode}");
        }

        var tally = await BatchTally.CountAsync(env, BatchId, settings.Jobs, ct);
        if (!tally.Whole(settings.Jobs))
        {
            failures.Add(
                $"results: {tally.Lost} lost, {tally.DuplicateLines} duplicate lines, {tally.StrayLines} stray lines, " +
                $"{tally.Unfinished} unfinished, {tally.LedgerJobs} jobs in the ledger for {settings.Jobs} lines");
        }

        var (final, windows, calls) = await SettleAsync(env, dispatcher, ct);
        if (!final.Settled)
        {
            failures.Add($"still held {SettleTimeout.TotalSeconds:0} s after the end: {final.InFlight} in flight, {final.Reserved} spend reserved, {final.Probes} probe slots");
        }

        foreach (var (deployment, counted) in windows.Counted.Where(w => w.Value.Requests > CallsInSpan(calls, w.Key, windows)))
        {
            failures.Add($"{deployment}: the dispatcher's window still counts {counted.Requests:0} requests for {CallsInSpan(calls, deployment, windows)} calls received in it");
        }

        var peaks = ProviderWindows.Peaks(calls, ChaosCatalog.QuotaWindow);
        foreach (var (deployment, peak) in peaks.Where(p => p.Value.FirstCalls > ChaosCatalog.Rpm))
        {
            failures.Add($"{deployment}: {peak.FirstCalls} first calls within one quota window, over its limit of {ChaosCatalog.Rpm}");
        }

        if (failures.Count > 0)
        {
            // The session deletes its work folder; a failed run's ledger, call audit and logs are what a diagnosis needs.
            var kept = Directory.CreateTempSubdirectory($"dispatcher-chaos-failed-{seed}-").FullName;
            foreach (var file in Directory.EnumerateFiles(env.Folder, "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(kept, Path.GetRelativePath(env.Folder, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }

            log.WriteLine($"      checks failed; the run's files are kept in {kept}");
        }

        return new ChaosRun(
            number, seed, settings.Jobs, exitCode, tally, calls.Count, ProviderCall.Repeated(calls),
            RepeatAttribution.Attribute(calls, faults), peaks, final, windows, completion, faults, failures);
    }

    // Waits (bounded) until the dispatcher holds nothing and its windows count no more than the
    // calls of their span; returns the last reading either way, and the call audit as of then.
    private async Task<(DispatcherReading Final, WindowReading Windows, IReadOnlyList<ProviderCall> Calls)> SettleAsync(
        FaultEnvironment env, ChildProgram dispatcher, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = await dispatcher.ListeningUrlAsync(TimeSpan.FromSeconds(90), ct), Timeout = TimeSpan.FromSeconds(10) };
        var span = ChaosCatalog.QuotaWindow * (1 + new CatalogOptions().QuotaWindowPadding);
        var deadline = _clock.GetTimestamp();
        while (true)
        {
            var reading = await DispatcherReading.ReadAsync(http, ct);
            var windows = WindowAudit.FromUsage(reading.Quota, reading.At, span);
            var calls = ProviderCall.ReadAll(env.CallLogPath);
            var windowsClear = windows.Counted.All(w => w.Value.Requests <= CallsInSpan(calls, w.Key, windows));
            if ((reading.Settled && windowsClear) || _clock.GetElapsedTime(deadline) > SettleTimeout)
            {
                return (reading, windows, calls);
            }

            await Task.Delay(TimeSpan.FromSeconds(1), _clock, ct);
        }
    }

    private static int CallsInSpan(IReadOnlyList<ProviderCall> calls, string deployment, WindowReading windows) =>
        calls.Count(c => c.Deployment == deployment && c.At > windows.At - windows.Span && c.At <= windows.At);

    private static FaultKind Draw(Random random)
    {
        var roll = random.Next(Kinds.Sum(k => k.Weight));
        foreach (var (kind, weight) in Kinds)
        {
            if (roll < weight)
            {
                return kind;
            }

            roll -= weight;
        }

        throw new InvalidOperationException("unreachable: the roll is below the weights' sum");
    }
}
