using Dispatcher.Bench.Jobs;
using Dispatcher.Bench.Processes;
using Dispatcher.Ledger;
using Dispatcher.Quotas;
using Dispatcher.Batches;
using Dispatcher.Submitter.Hosting;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatcher.Bench.Quota;

/// <summary>
/// A time-compressed batch through the real pipeline on the embedded default (dispatcher and
/// workers in this process, in-memory transport, a SQLite ledger file, simulated providers that
/// enforce the catalog's own limits), once per strategy: how close the makespan comes to what the
/// quotas allow, whether any provider had to refuse a call, and what the batch cost.
/// </summary>
internal sealed class QuotaBenchmark(QuotaSettings settings, TextWriter log)
{
    private static readonly TimeSpan LedgerPoll = TimeSpan.FromMilliseconds(50);

    private readonly TimeProvider _clock = TimeProvider.System;

    /// <summary>Runs one batch per strategy and returns the figures.</summary>
    public async Task<IReadOnlyList<QuotaRunResult>> RunAsync(string workFolder, CancellationToken ct)
    {
        var jobsFile = Path.Combine(workFolder, "quota-jobs.jsonl");
        var warmupFile = Path.Combine(workFolder, "quota-warmup.jsonl");
        await BatchFileWriter.WriteAsync(jobsFile, settings.Jobs, QuotaCatalog.ModelGroup, ct);
        await BatchFileWriter.WriteAsync(warmupFile, QuotaSettings.WarmupJobs, QuotaCatalog.ModelGroup, ct);

        var results = new List<QuotaRunResult>();
        foreach (var strategy in settings.Strategies)
        {
            results.Add(await RunOneAsync(strategy, jobsFile, warmupFile, workFolder, ct));
        }

        return results;
    }

    private async Task<QuotaRunResult> RunOneAsync(string strategy, string jobsFile, string warmupFile, string workFolder, CancellationToken ct)
    {
        var folder = Directory.CreateDirectory(Path.Combine(workFolder, "quota-" + strategy)).FullName;
        var config = Path.Combine(folder, "config.json");
        QuotaCatalog.Write(config, strategy, settings.Window, settings.Padding, settings.ProvidersEnforce, settings.LatencyMs);

        // The warm-up runs in a pipeline of its own, so the measured one starts with every
        // deployment's quota unused (full buckets, empty windows), as the lower bound assumes.
        log.WriteLine($"  {strategy}: warm-up of {QuotaSettings.WarmupJobs} jobs in a pipeline of its own");
        await RunBatchAsync(config, Path.Combine(folder, "warmup-ledger.db"), warmupFile, "warmup", QuotaSettings.WarmupJobs, waitForQuiet: false, ct);

        log.WriteLine(
            $"  {strategy}: {settings.Jobs} jobs, quota window {settings.Window.TotalSeconds:0.##} s, padding {settings.Padding:0.###}, provider latency {settings.LatencyMs:0.##} ms" +
            (settings.ProvidersEnforce ? "" : ", providers NOT enforcing or reporting limits (diagnostic)"));
        var ledgerPath = Path.Combine(folder, "ledger.db");
        var measured = await RunBatchAsync(config, ledgerPath, jobsFile, "quota-" + strategy, settings.Jobs, waitForQuiet: true, ct);
        var figures = await QuotaLedger.ReadAsync(ledgerPath, "quota-" + strategy, measured.StartedAt, settings.Window, measured.Audit, ct);
        var result = new QuotaRunResult(strategy, settings.Jobs, settings.Window, settings.Padding, settings.ProvidersEnforce, settings.LatencyMs, measured.Makespan, measured.PublishTime, measured.Cpu, measured.InFlight, measured.Audit, figures);
        log.WriteLine($"      makespan {result.Makespan.TotalSeconds:0.00} s, {result.MakespanRatio:0.000}x the quota lower bound; {figures.RateLimited} provider 429s; {figures.Failed} failed");
        return result;
    }

    private async Task<MeasuredBatch> RunBatchAsync(string config, string ledgerPath, string file, string batchId, int lines, bool waitForQuiet, CancellationToken ct)
    {
        using var host = SubmitterHosts.Embedded(config, ledgerPath);
        await host.StartAsync(ct);
        try
        {
            var bus = host.Services.GetRequiredService<IBus>();
            var ledger = host.Services.GetRequiredService<JobLedger>();
            var pids = new Dictionary<string, int>(StringComparer.Ordinal) { ["bench"] = Environment.ProcessId };
            if (waitForQuiet)
            {
                await QuietMachine.WaitAsync(pids, settings.QuietWait, log, ct);
            }

            var cpu = CpuMeter.Start(pids);
            var startedAt = _clock.GetUtcNow();
            var started = _clock.GetTimestamp();
            await new BatchPublisher(bus).PublishAsync(file, batchId, lines, BatchFileLimits.Default, progress: null, ct);
            var published = _clock.GetElapsedTime(started);
            var sampler = new InFlightSampler(host.Services.GetRequiredService<QuotaBook>(), QuotaCatalog.Deployments);
            BatchStatus? status = null;
            await Polling.UntilAsync(
                async () =>
                {
                    sampler.Sample();
                    status = await ledger.GetBatchStatusAsync(batchId, ct);
                    return status is { IsComplete: true };
                },
                LedgerPoll,
                settings.Timeout,
                $"batch {batchId} to end in the ledger",
                ct);
            var makespan = _clock.GetElapsedTime(started);
            var usage = cpu.Stop();
            var reading = await WindowAudit.ReadAsync(host.Services.GetRequiredService<QuotaBook>(), QuotaCatalog.Deployments, settings.Window, settings.Padding, ct);
            return new MeasuredBatch(startedAt, makespan, published, usage, sampler.Result(), reading);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        }
    }

    private sealed record MeasuredBatch(DateTimeOffset StartedAt, TimeSpan Makespan, TimeSpan PublishTime, CpuUsage Cpu, IReadOnlyDictionary<string, InFlight> InFlight, WindowReading Audit);
}
