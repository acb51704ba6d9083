using System.Text.Json;
using Dapper;
using Dispatcher.Bench.Faults;
using Dispatcher.Bench.Processes;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Routing;
using Dispatcher.Submitter.Hosting;
using MassTransit;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dispatcher.Bench.Adaptive;

/// <summary>
/// Jobs at a steady rate through the real pipeline on the embedded default (dispatcher and workers
/// in this process, in-memory transport, a SQLite ledger file) into a <c>weighted-adaptive</c>
/// group of two simulated deployments, one of which degrades half-way through and recovers later:
/// per time slice, where the calls went (the providers' call log) and each deployment's adaptive
/// weight (sampled from the dispatcher at the slice's end).
/// </summary>
internal sealed class AdaptiveBenchmark(AdaptiveSettings settings, TextWriter log)
{
    private const string BatchId = "adaptive";

    // Jobs go out in small groups this often, so the rate is steady at the scale of a slice.
    private static readonly TimeSpan PublishTick = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan LedgerPoll = TimeSpan.FromMilliseconds(200);

    private readonly TimeProvider _clock = TimeProvider.System;

    /// <summary>Runs the benchmark in <paramref name="workFolder"/> and returns its figures.</summary>
    public async Task<AdaptiveRunResult> RunAsync(string workFolder, CancellationToken ct)
    {
        var config = Path.Combine(workFolder, "config.json");
        var callLog = Path.Combine(workFolder, "calls.jsonl");
        var ledgerPath = Path.Combine(workFolder, "ledger.db");
        AdaptiveCatalog.Write(config, settings, callLog);
        var sliceCount = (int)Math.Ceiling(settings.Duration / settings.Slice);
        var jobs = (int)Math.Round(settings.Rate * settings.Duration.TotalSeconds);

        using var host = SubmitterHosts.Embedded(config, ledgerPath);
        await host.StartAsync(ct);
        try
        {
            var pids = new Dictionary<string, int>(StringComparer.Ordinal) { ["bench"] = Environment.ProcessId };
            await QuietMachine.WaitAsync(pids, settings.QuietWait, log, ct);
            var weights = host.Services.GetRequiredService<AdaptiveWeights>();
            var catalog = host.Services.GetRequiredService<IOptions<CatalogOptions>>().Value;
            var deployments = AdaptiveCatalog.Deployments.Select(id => catalog.Deployments.Single(d => d.Id == id)).ToList();
            var intake = await host.Services.GetRequiredService<IBus>().GetSendEndpoint(new Uri("queue:" + QueueNames.Intake));

            log.WriteLine(
                $"  {jobs} jobs at {settings.Rate:0.#}/s for {settings.Duration.TotalSeconds:0} s, slices of {settings.Slice.TotalSeconds:0.#} s, " +
                $"adaptive window {settings.Window.TotalSeconds:0.#} s; '{AdaptiveCatalog.Degrading}' degrades at {settings.DegradeAt.TotalSeconds:0} s and recovers at {settings.RecoverAt.TotalSeconds:0} s");
            var cpu = CpuMeter.Start(pids);
            var startedAt = _clock.GetUtcNow();
            var started = _clock.GetTimestamp();
            var sampled = new List<IReadOnlyDictionary<string, double>>(sliceCount);
            var sent = 0;
            while (sent < jobs)
            {
                var elapsed = _clock.GetElapsedTime(started);
                if (elapsed >= settings.Slice * (sampled.Count + 1))
                {
                    sampled.Add(deployments.ToDictionary(d => d.Id, d => weights.WeightOf(d).Weight, StringComparer.Ordinal));
                    log.WriteLine($"    {elapsed.TotalSeconds,5:0} s: {sent} jobs published; weights {string.Join(", ", sampled[^1].Select(w => $"{w.Key} {w.Value:0.###}"))}");
                }

                var due = Math.Min(jobs, (int)(elapsed.TotalSeconds * settings.Rate) + 1);
                for (; sent < due; sent++)
                {
                    await intake.Send(new SubmitCompletion($"job-{sent}", AdaptiveCatalog.ModelGroup, Body(sent), BatchId, Guid.NewGuid()), ct);
                }

                await Task.Delay(PublishTick, _clock, ct);
            }

            // The last slice's weights, once its time is up.
            while (sampled.Count < sliceCount)
            {
                var end = settings.Slice * (sampled.Count + 1);
                var left = end - _clock.GetElapsedTime(started);
                if (left > TimeSpan.Zero)
                {
                    await Task.Delay(left, _clock, ct);
                }

                sampled.Add(deployments.ToDictionary(d => d.Id, d => weights.WeightOf(d).Weight, StringComparer.Ordinal));
            }

            (long Succeeded, long Failed) ended = default;
            await Polling.UntilAsync(
                async () => (ended = await EndedAsync(ledgerPath, ct)) is var (s, f) && s + f >= jobs,
                LedgerPoll,
                settings.Timeout,
                $"the {jobs} jobs to end in the ledger",
                ct);
            var usage = cpu.Stop();
            var calls = ProviderCall.ReadAll(callLog);
            var firstDegradingCall = calls.Where(c => c.Deployment == AdaptiveCatalog.Degrading).Min(c => c.At) - startedAt;
            var degradedFrom = firstDegradingCall + settings.DegradeAt;
            var recoveredFrom = firstDegradingCall + settings.RecoverAt;
            var slices = Enumerable.Range(0, sliceCount)
                .Select(i => Slice(i, calls, startedAt, sampled[i], degradedFrom, recoveredFrom))
                .ToList();
            return new AdaptiveRunResult(settings, jobs, ended.Succeeded, ended.Failed, degradedFrom, recoveredFrom, slices, usage.OtherPercentOfOneCore);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
            SqliteConnection.ClearAllPools();
        }
    }

    private AdaptiveSlice Slice(
        int index, IReadOnlyList<ProviderCall> calls, DateTimeOffset startedAt, IReadOnlyDictionary<string, double> weights, TimeSpan degradedFrom, TimeSpan recoveredFrom)
    {
        var start = settings.Slice * index;
        var end = start + settings.Slice;
        var inSlice = calls.Where(c => c.At - startedAt >= start && c.At - startedAt < end).ToList();
        var middle = start + (settings.Slice / 2);
        var phase = middle < degradedFrom ? AdaptiveSlice.Before : middle < recoveredFrom ? AdaptiveSlice.Degraded : AdaptiveSlice.Recovered;
        return new AdaptiveSlice(
            index,
            start,
            phase,
            AdaptiveCatalog.Deployments.ToDictionary(d => d, d => inSlice.Count(c => c.Deployment == d), StringComparer.Ordinal),
            AdaptiveCatalog.Deployments.ToDictionary(d => d, d => inSlice.Count(c => c.Deployment == d && c.Attempt == 1), StringComparer.Ordinal),
            weights);
    }

    private static async Task<(long Succeeded, long Failed)> EndedAsync(string ledgerPath, CancellationToken ct)
    {
        await using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = ledgerPath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await c.OpenAsync(ct);
        return await c.QuerySingleAsync<(long, long)>(new CommandDefinition(
            "SELECT COALESCE(SUM(state = 'succeeded'), 0), COALESCE(SUM(state = 'failed'), 0) FROM jobs WHERE batch_id = @batchId",
            new { batchId = BatchId },
            cancellationToken: ct));
    }

    // A short chat request; the simulated providers answer 8 to 64 completion tokens.
    private static JsonElement Body(int n) => JsonSerializer.SerializeToElement(new
    {
        model = AdaptiveCatalog.ModelGroup,
        messages = new[] { new { role = "user", content = $"Summarise item {n} of the adaptive benchmark in one paragraph." } },
        max_tokens = 64,
    });
}
