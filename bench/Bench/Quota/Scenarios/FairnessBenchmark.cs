using Dispatcher.Bench.Jobs;
using Dispatcher.Bench.Processes;

namespace Dispatcher.Bench.Quota.Scenarios;

/// <summary>
/// Fair shares under quota: tenant A's large batch alone, then, in a fresh pipeline, the same
/// batch with tenant B's small one published behind it (equal weights, the English batch's
/// catalog over a compressed window). How soon B's batch is done after its submission, and how
/// much longer A's takes for it.
/// </summary>
internal sealed class FairnessBenchmark(QuotaSettings settings, string workFolder, TextWriter log)
{
    /// <summary>Tenant A's name and batch id.</summary>
    public const string Large = "tenant-a";

    /// <summary>Tenant B's name and batch id.</summary>
    public const string Small = "tenant-b";

    private readonly TimeProvider _clock = TimeProvider.System;

    /// <summary>Runs A alone, then A with B, each in a pipeline of its own after a warm-up.</summary>
    public async Task<FairnessResult> RunAsync(CancellationToken ct)
    {
        var fair = settings.Fairness;
        var folder = Directory.CreateDirectory(Path.Combine(workFolder, "quota-fairness")).FullName;
        var config = Path.Combine(folder, "config.json");
        var strategy = settings.Strategies[0];
        QuotaCatalog.Write(config, strategy, fair.Window, settings.Padding, settings.ProvidersEnforce, settings.LatencyMs);
        var largeFile = Path.Combine(folder, "large.jsonl");
        var smallFile = Path.Combine(folder, "small.jsonl");
        var warmupFile = Path.Combine(folder, "warmup.jsonl");
        await BatchFileWriter.WriteAsync(largeFile, fair.LargeJobs, QuotaCatalog.ModelGroup, ct);
        await BatchFileWriter.WriteAsync(smallFile, fair.SmallJobs, QuotaCatalog.ModelGroup, ct);
        await BatchFileWriter.WriteAsync(warmupFile, QuotaSettings.WarmupJobs, QuotaCatalog.ModelGroup, ct);

        log.WriteLine($"  fairness: warm-up of {QuotaSettings.WarmupJobs} jobs in a pipeline of its own");
        await using (var warmup = await QuotaPipeline.StartAsync(config, Path.Combine(folder, "warmup-ledger.db"), ct))
        {
            await warmup.PublishAsync(warmupFile, "warmup", QuotaSettings.WarmupJobs, tenant: null, ct);
            await QuotaPipeline.UntilAsync(() => warmup.IsCompleteAsync("warmup", ct), settings.Timeout, "the warm-up to end", ct);
        }

        log.WriteLine($"  fairness: {fair.LargeJobs} jobs of {Large} alone, {strategy}, quota window {fair.Window.TotalSeconds:0.##} s");
        var alone = await RunOneAsync(Path.Combine(folder, "alone.db"), config, largeFile, smallFile: null, ct);
        log.WriteLine($"      {Large} done in {alone.LargeMakespan.TotalSeconds:0.00} s; {alone.Large.RateLimited} provider 429s");
        log.WriteLine($"  fairness: {fair.LargeJobs} jobs of {Large}, then {fair.SmallJobs} jobs of {Small} {fair.Delay.TotalSeconds:0.##} s after its first");
        var shared = await RunOneAsync(Path.Combine(folder, "shared.db"), config, largeFile, smallFile, ct);
        log.WriteLine(
            $"      {Small} done {shared.SmallFinish!.Value.TotalSeconds:0.00} s after its submission ({shared.SmallFinish.Value / fair.Window:0.00} windows); " +
            $"{Large} done in {shared.LargeMakespan.TotalSeconds:0.00} s; {shared.Large.RateLimited + shared.Small!.RateLimited} provider 429s");
        return new FairnessResult(fair, strategy, alone, shared);
    }

    private async Task<FairnessRun> RunOneAsync(string ledgerPath, string config, string largeFile, string? smallFile, CancellationToken ct)
    {
        var fair = settings.Fairness;
        DateTimeOffset startedAt;
        DateTimeOffset? smallAt = null;
        TimeSpan? largeDone = null;
        TimeSpan? smallSubmitted = null;
        TimeSpan? smallDone = null;
        CpuUsage usage;
        await using (var pipeline = await QuotaPipeline.StartAsync(config, ledgerPath, ct))
        {
            var pids = new Dictionary<string, int>(StringComparer.Ordinal) { ["bench"] = Environment.ProcessId };
            await QuietMachine.WaitAsync(pids, settings.QuietWait, log, ct);
            var cpu = CpuMeter.Start(pids);
            startedAt = _clock.GetUtcNow();
            var started = _clock.GetTimestamp();
            await pipeline.PublishAsync(largeFile, Large, fair.LargeJobs, Large, ct);
            if (smallFile is not null)
            {
                var wait = fair.Delay - _clock.GetElapsedTime(started);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _clock, ct);
                }

                smallAt = _clock.GetUtcNow();
                smallSubmitted = _clock.GetElapsedTime(started);
                await pipeline.PublishAsync(smallFile, Small, fair.SmallJobs, Small, ct);
            }

            await QuotaPipeline.UntilAsync(
                async () =>
                {
                    if (largeDone is null && await pipeline.IsCompleteAsync(Large, ct))
                    {
                        largeDone = _clock.GetElapsedTime(started);
                    }

                    if (smallFile is not null && smallDone is null && await pipeline.IsCompleteAsync(Small, ct))
                    {
                        smallDone = _clock.GetElapsedTime(started);
                    }

                    return largeDone is not null && (smallFile is null || smallDone is not null);
                },
                settings.Timeout,
                "the tenants' batches to end in the ledger",
                ct);
            usage = cpu.Stop();
        }

        var large = await QuotaLedger.ReadAsync(ledgerPath, Large, startedAt, fair.Window, reading: null, ct);
        var small = smallAt is { } at ? await QuotaLedger.ReadAsync(ledgerPath, Small, at, fair.Window, reading: null, ct) : null;
        return new FairnessRun(largeDone!.Value, large, smallSubmitted, smallDone - smallSubmitted, small, usage);
    }
}
