using Dispatcher.Bench.Processes;

namespace Dispatcher.Bench.Quota.Scenarios;

/// <summary>
/// Runs a <see cref="QuotaScenario"/>'s batch through the embedded default against simulated
/// providers that enforce its catalog's limits with their own tokenizer: makespan against the
/// quota lower bound of the dimension that binds, and provider 429s.
/// </summary>
internal sealed class ScenarioBenchmark(QuotaSettings settings, string workFolder, TextWriter log)
{
    private const int WarmupJobs = 200;

    private readonly TimeProvider _clock = TimeProvider.System;

    /// <summary>Runs the scenario once, after a warm-up of its own kind of jobs in a pipeline of its own.</summary>
    public async Task<ScenarioRunResult> RunAsync(QuotaScenario scenario, CancellationToken ct)
    {
        var folder = Directory.CreateDirectory(Path.Combine(workFolder, "quota-" + scenario.Name)).FullName;
        var strategy = settings.Strategies[0];
        var jobs = settings.ScenarioJobs;
        var config = Path.Combine(folder, "config.json");
        QuotaCatalog.Write(config, scenario.Shape, strategy, settings.Window, settings.Padding, settings.ProvidersEnforce, settings.LatencyMs);
        var jobsFile = Path.Combine(folder, "jobs.jsonl");
        var warmupFile = Path.Combine(folder, "warmup.jsonl");
        await scenario.WriteAsync(jobsFile, jobs, ct);
        await scenario.WriteAsync(warmupFile, WarmupJobs, ct);

        // The warm-up loads the tokenizer's vocabulary and JIT-compiles this kind of job's path;
        // the measured pipeline then starts with every deployment's quota unused.
        log.WriteLine($"  {scenario.Name}: warm-up of {WarmupJobs} jobs in a pipeline of its own");
        await using (var warmup = await QuotaPipeline.StartAsync(config, Path.Combine(folder, "warmup-ledger.db"), ct))
        {
            await warmup.PublishAsync(warmupFile, "warmup", WarmupJobs, tenant: null, ct);
            await QuotaPipeline.UntilAsync(() => warmup.IsCompleteAsync("warmup", ct), settings.Timeout, "the warm-up to end", ct);
        }

        log.WriteLine($"  {scenario.Name}: {jobs} jobs ({scenario.Description}), {strategy}, quota window {settings.Window.TotalSeconds:0.##} s");
        var ledgerPath = Path.Combine(folder, "ledger.db");
        var batchId = "quota-" + scenario.Name;
        DateTimeOffset startedAt;
        TimeSpan makespan;
        CpuUsage cpuUsage;
        await using (var pipeline = await QuotaPipeline.StartAsync(config, ledgerPath, ct))
        {
            var pids = new Dictionary<string, int>(StringComparer.Ordinal) { ["bench"] = Environment.ProcessId };
            await QuietMachine.WaitAsync(pids, settings.QuietWait, log, ct);
            var cpu = CpuMeter.Start(pids);
            startedAt = _clock.GetUtcNow();
            var started = _clock.GetTimestamp();
            await pipeline.PublishAsync(jobsFile, batchId, jobs, tenant: null, ct);
            await QuotaPipeline.UntilAsync(() => pipeline.IsCompleteAsync(batchId, ct), settings.Timeout, $"batch {batchId} to end in the ledger", ct);
            makespan = _clock.GetElapsedTime(started);
            cpuUsage = cpu.Stop();
        }

        var figures = await QuotaLedger.ReadAsync(ledgerPath, batchId, startedAt, settings.Window, reading: null, ct);
        var result = new ScenarioRunResult(scenario, strategy, jobs, settings.Window, makespan, cpuUsage, figures);
        log.WriteLine(
            $"      makespan {makespan.TotalSeconds:0.00} s, {result.MakespanRatio:0.000}x the quota lower bound ({result.LowerBound.Binding}); " +
            $"{figures.RateLimited} provider 429s; {figures.Failed} failed");
        return result;
    }
}
