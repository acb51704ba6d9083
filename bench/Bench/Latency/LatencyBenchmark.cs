using System.Globalization;
using System.Text.Json;
using Dapper;
using Dispatcher.Bench.Broker;
using Dispatcher.Bench.Faults;
using Dispatcher.Bench.Jobs;
using Dispatcher.Bench.Pipeline;
using Dispatcher.Bench.Processes;
using Dispatcher.Contracts;
using Dispatcher.Ledger;
using Dispatcher.Testing;
using Microsoft.Extensions.Options;

namespace Dispatcher.Bench.Latency;

/// <summary>
/// Dispatch latency: the real Dispatcher and Workers programs on the private node, simulated
/// deployments with a fixed latency, and jobs offered one message each (as <c>Submitter publish</c>
/// sends them) at a fixed rate: a share of the pipeline's capacity, then an idle trickle. Each
/// job's latency is its result's arrival at a result reader less its submission less the
/// provider's own time on the call, broken down by the ledger's timestamps.
/// </summary>
internal sealed class LatencyBenchmark(PrivateRabbitNode node, RepoLayout repo, LatencySettings settings, TextWriter log)
{
    private const string AttemptsSql = """
        SELECT j.job_id AS JobId, j.created_at AS CreatedAt, a.dispatched_at AS DispatchedAt, a.recorded_at AS RecordedAt,
               a.latency_ms AS LatencyMs, a.provider_ms AS ProviderMs
        FROM jobs j JOIN attempts a ON a.job_id = j.job_id AND a.attempt = j.attempts
        WHERE j.batch_id IS NULL AND j.state = 'succeeded'
        """;

    private readonly TimeProvider _clock = TimeProvider.System;
    private readonly int _beam = ProcFs.FindBeam(node.EpmdPort) ?? 0;

    /// <summary>Measures the capacity (unless given), then the loaded and the idle run.</summary>
    public async Task<LatencyResults> RunAsync(string workFolder, CancellationToken ct)
    {
        var receipts = new ResultReceipts();
        await using var broker = await BrokerClient.ConnectAsync(node, ct);
        await using var producer = await JobProducer.StartAsync(node, [receipts], ct);
        using var env = new ProductEnvironment(node, Path.Combine(workFolder, "latency"), Path.GetTempPath(), ProductEnvironment.SimulatedCatalog(settings.MaxParallel, settings.LatencyMs));
        await using var dispatcher = ChildProgram.Start("Dispatcher", repo.Program("Dispatcher.Host"), env.Variables, [], Path.Combine(env.Folder, "dispatcher.log"));
        await using var workers = ChildProgram.Start("Workers", repo.Program("Workers.Host"), env.Variables, [], Path.Combine(env.Folder, "workers.log"));
        ChildProgram[] programs = [dispatcher, workers];
        await ProgramWaits.ConsumersAsync(broker, programs, [QueueNames.Intake, QueueNames.Outcomes, QueueNames.Batches, .. ProductEnvironment.ProviderQueues], ct);
        await using var ledger = new JobLedger(Options.Create(new LedgerOptions { Path = env.LedgerPath }), _clock);
        var pids = new Dictionary<string, int>(StringComparer.Ordinal)
        {
            ["bench"] = Environment.ProcessId, ["dispatcher"] = dispatcher.Id, ["workers"] = workers.Id,
        };
        if (_beam != 0)
        {
            pids["broker"] = _beam;
        }

        // The capacity batch also warms the programs up (start-up, JIT) before anything is timed.
        var capacityFile = Path.Combine(workFolder, "latency-capacity.jsonl");
        await BatchFileWriter.WriteAsync(capacityFile, settings.CapacityJobs, ProductEnvironment.ModelGroup, ct);
        log.WriteLine($"  warm-up: a batch of {settings.CapacityJobs} jobs, published as `Submitter submit` does");
        await producer.PublishAsync(capacityFile, "latency-warmup", settings.CapacityJobs, ct);
        await ProgramWaits.BatchEndedAsync(ledger, "latency-warmup", programs, settings.Timeout, ct);
        await OfferAsync(producer, receipts, "warmup-single", 20, TimeSpan.FromSeconds(2), programs, ct);

        var capacity = settings.Capacity;
        if (capacity is null)
        {
            await QuietMachine.WaitAsync(pids, settings.QuietWait, log, ct);
            var started = _clock.GetTimestamp();
            await producer.PublishAsync(capacityFile, "latency-capacity", settings.CapacityJobs, ct);
            await ProgramWaits.BatchEndedAsync(ledger, "latency-capacity", programs, settings.Timeout, ct);
            capacity = settings.CapacityJobs / _clock.GetElapsedTime(started).TotalSeconds;
            log.WriteLine($"  capacity: {capacity:N0} jobs/s (a batch of {settings.CapacityJobs} jobs through the whole pipeline, as the `pipeline` stage (c) measures it)");
        }

        var runs = new List<LatencyRun>();
        foreach (var (label, rate, target) in new[]
        {
            ($"{settings.LoadShare:P0} of capacity", capacity.Value * settings.LoadShare, LatencySettings.LoadedTargetMs),
            ("idle", settings.IdleRate, LatencySettings.IdleTargetMs),
        })
        {
            log.WriteLine($"  {label}: {rate:N0} jobs/s for {settings.Duration.TotalSeconds:0} s, one job a message");
            await QuietMachine.WaitAsync(pids, settings.QuietWait, log, ct);
            var cpu = CpuMeter.Start(pids);
            var submitted = await OfferAsync(producer, receipts, label, rate, settings.Duration, programs, ct);
            var usage = cpu.Stop();
            var times = await TimesAsync(env.LedgerPath, submitted, receipts, ct);
            log.WriteLine($"      {times.Count} jobs, p99 {Percentile(times.Select(t => t.Dispatch), 0.99):0.00} ms");
            runs.Add(new LatencyRun(label, rate, target, times, usage));
        }

        return new LatencyResults(settings, capacity.Value, settings.Capacity is null, runs);
    }

    /// <summary>The value below which <paramref name="share"/> of the values lie (nearest rank).</summary>
    public static double Percentile(IEnumerable<double> values, double share)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(share * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    // Sends rate × duration jobs, the i-th due i / rate seconds after the first, each on its own
    // and without waiting for earlier ones' confirms (a producer of one job at a time does not wait
    // for others); returns when each was submitted, once every result has come.
    private async Task<Dictionary<Guid, DateTimeOffset>> OfferAsync(
        JobProducer producer, ResultReceipts receipts, string label, double rate, TimeSpan duration, ChildProgram[] programs, CancellationToken ct)
    {
        var count = Math.Max(1, (int)Math.Round(rate * duration.TotalSeconds));
        var submitted = new Dictionary<Guid, DateTimeOffset>(count);
        var sends = new List<Task>(count);
        var prefix = new string([.. label.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')]);
        var started = _clock.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            var wait = TimeSpan.FromSeconds(i / rate) - _clock.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _clock, ct);
            }

            var job = new SubmitCompletion(
                string.Create(CultureInfo.InvariantCulture, $"{prefix}-{i}"),
                ProductEnvironment.ModelGroup,
                Body(i),
                JobId: Guid.NewGuid());
            submitted[job.JobId] = _clock.GetUtcNow();
            sends.Add(producer.SendAsync(job, ct));
        }

        await Task.WhenAll(sends);
        await Polling.UntilAsync(
            () =>
            {
                Array.ForEach(programs, p => p.ThrowIfExited());
                return Task.FromResult(submitted.Keys.All(id => receipts.Succeeded.ContainsKey(id) || receipts.Failed.ContainsKey(id)));
            },
            TimeSpan.FromMilliseconds(100),
            settings.Timeout,
            $"the results of {count} jobs ({label})",
            ct);
        if (submitted.Keys.FirstOrDefault(receipts.Failed.ContainsKey) is var failed && failed != Guid.Empty)
        {
            throw new InvalidOperationException($"job {failed} failed ({receipts.Failed[failed]}); with error-free simulated deployments every job should succeed");
        }

        return submitted;
    }

    private static async Task<List<JobTimes>> TimesAsync(string ledgerPath, Dictionary<Guid, DateTimeOffset> submitted, ResultReceipts receipts, CancellationToken ct)
    {
        await using var ledger = LedgerProgress.Open(ledgerPath);
        var rows = await ledger.QueryAsync<AttemptTimes>(new CommandDefinition(AttemptsSql, cancellationToken: ct));
        var times = new List<JobTimes>(submitted.Count);
        foreach (var row in rows)
        {
            if (!Guid.TryParse(row.JobId, out var id) || !submitted.TryGetValue(id, out var submittedAt))
            {
                continue;
            }

            var created = Parse(row.CreatedAt);
            var dispatched = Parse(row.DispatchedAt!);
            var recorded = Parse(row.RecordedAt);
            var received = receipts.Succeeded[id];
            var provider = row.ProviderMs ?? 0;
            times.Add(new JobTimes(
                Dispatch: Ms(received - submittedAt) - provider,
                Intake: Ms(created - submittedAt),
                Routing: Ms(dispatched - created),
                Hops: Ms(recorded - dispatched) - row.LatencyMs,
                WorkerCall: row.LatencyMs - provider,
                Result: Ms(received - recorded),
                ProviderMs: provider));
        }

        if (times.Count != submitted.Count)
        {
            throw new InvalidOperationException($"the ledger holds the attempts of {times.Count} of the {submitted.Count} jobs offered");
        }

        return times;
    }

    private static JsonElement Body(int i) => JsonSerializer.SerializeToElement(new
    {
        model = ProductEnvironment.ModelGroup,
        messages = new[]
        {
            new { role = "system", content = "You are a concise assistant." },
            new { role = "user", content = string.Create(CultureInfo.InvariantCulture, $"Give one real-world example of item {i}.") },
        },
        max_tokens = 32,
    });

    private static DateTimeOffset Parse(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    private static double Ms(TimeSpan span) => span.TotalMilliseconds;

    private sealed record AttemptTimes(string JobId, string CreatedAt, string? DispatchedAt, string RecordedAt, double LatencyMs, double? ProviderMs);
}
