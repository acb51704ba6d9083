using System.Diagnostics;
using System.Text.Json;
using Dispatcher.Bench.Jobs;
using Dispatcher.Bench.Pipeline;
using Dispatcher.Bench.Processes;
using Dispatcher.Batches;
using Dispatcher.Contracts;
using Dispatcher.ServiceDefaults.Messaging;
using Dispatcher.Testing;

namespace Dispatcher.Bench.Broker;

/// <summary>
/// The raw broker baseline (<see cref="RawBaseline"/>) with messages of the sizes the product
/// sends: one job (a one-job intake chunk), a full intake chunk (<see cref="SubmitCompletions"/>
/// of <see cref="BatchPublisher.ChunkJobs"/> jobs, as the Submitter sends it) and a full work pack
/// (<see cref="CompletionWorkPack"/> of <see cref="PackingLimits.MaxItems"/> attempts, as the
/// dispatcher sends it), each with two windows: what messages and jobs per second the broker
/// alone could carry that way.
/// </summary>
internal sealed class RawSizesBenchmark(PrivateRabbitNode node, RawSizesSettings settings, TextWriter log)
{
    private const string PackProbeQueue = "bench-pack-probe";

    private readonly int _beam = ProcFs.FindBeam(node.EpmdPort) ?? 0;

    /// <summary>Captures the three bodies, then runs the baseline with each.</summary>
    public async Task<IReadOnlyList<RawSizeRun>> RunAsync(string workFolder, CancellationToken ct)
    {
        await using var broker = await BrokerClient.ConnectAsync(node, ct);
        await using var producer = await JobProducer.StartAsync(node, ct);
        var oneFile = Path.Combine(workFolder, "raw-one.jsonl");
        var chunkFile = Path.Combine(workFolder, "raw-chunk.jsonl");
        await BatchFileWriter.WriteAsync(oneFile, 1, ProductEnvironment.ModelGroup, ct);
        await BatchFileWriter.WriteAsync(chunkFile, BatchPublisher.ChunkJobs, ProductEnvironment.ModelGroup, ct);

        var packJobs = new PackingLimits().MaxItems;
        var bodies = new (string Label, int Jobs, byte[] Body, int Messages)[]
        {
            ("one job (a one-job chunk)", 1, await PipelineBenchmark.CaptureChunkAsync(broker, producer, oneFile, 1, ct), settings.Messages),
            ($"intake chunk of {BatchPublisher.ChunkJobs} jobs", BatchPublisher.ChunkJobs, await PipelineBenchmark.CaptureChunkAsync(broker, producer, chunkFile, BatchPublisher.ChunkJobs, ct), settings.LargeMessages),
            ($"work pack of {packJobs} attempts", packJobs, await CapturePackAsync(broker, producer, chunkFile, packJobs, ct), settings.LargeMessages),
        };

        var pids = new Dictionary<string, int>(StringComparer.Ordinal) { ["bench"] = Environment.ProcessId };
        if (_beam != 0)
        {
            pids["broker"] = _beam;
        }

        var runs = new List<RawSizeRun>();
        foreach (var (label, jobs, body, messages) in bodies)
        {
            log.WriteLine($"  {label}: {body.Length:N0} bytes");
            foreach (var (inFlight, prefetch) in new[] { (settings.InFlight, settings.Prefetch), (PipelineSettings.NarrowInFlight, PipelineSettings.NarrowPrefetch) })
            {
                await RawBaseline.RunAsync(node, body, Math.Max(1, messages / 10), inFlight, prefetch, settings.Timeout, ct);
                await QuietMachine.WaitAsync(pids, settings.QuietWait, log, ct);
                var cpu = CpuMeter.Start(pids);
                var result = await RawBaseline.RunAsync(node, body, messages, inFlight, prefetch, settings.Timeout, ct);
                var run = new RawSizeRun(label, jobs, inFlight, prefetch, result, cpu.Stop());
                log.WriteLine($"      {inFlight} unconfirmed, prefetch {prefetch}: {result.Rate:N0} msg/s, {run.JobRate:N0} jobs/s");
                runs.Add(run);
            }
        }

        return runs;
    }

    // A pack as the dispatcher builds it (JobDispatch: the job's body, its estimates, a traceparent,
    // the lease's end, the reservation's sequence), sent through the product's bus set-up to a
    // queue of its own and read back, so its size is the envelope's too.
    private static async Task<byte[]> CapturePackAsync(BrokerClient broker, JobProducer producer, string chunkFile, int attempts, CancellationToken ct)
    {
        var bodies = File.ReadLines(chunkFile).Take(attempts).Select(line => JsonDocument.Parse(line).RootElement.GetProperty("body").Clone()).ToArray();
        var startBy = DateTimeOffset.UtcNow.AddMinutes(5);
        var pack = new CompletionWorkPack([.. bodies.Select((body, i) => new CompletionWork(
            Guid.NewGuid(),
            ProductEnvironment.Deployments[0],
            1,
            body,
            EstimatedPromptTokens: 24,
            MaxTokens: body.GetProperty("max_tokens").GetInt32(),
            TraceParent: $"00-{ActivityTraceId.CreateRandom()}-{ActivitySpanId.CreateRandom()}-01",
            StartBy: startBy,
            QuotaSeq: 1_000_000 + i))]);
        await broker.DeleteAsync(PackProbeQueue, ct);
        await producer.SendAsync(new Uri("queue:" + PackProbeQueue), pack, ct);
        var body = await broker.TakeOneAsync(PackProbeQueue, ct)
            ?? throw new InvalidOperationException("the probe pack did not arrive on its queue");
        await broker.DeleteAsync(PackProbeQueue, ct);
        return body;
    }
}

/// <summary>How <see cref="RawSizesBenchmark"/> runs.</summary>
/// <param name="Messages">One-job messages per run.</param>
/// <param name="LargeMessages">Chunk and pack messages per run.</param>
/// <param name="InFlight">The wide window's unconfirmed publishes (the narrow one is the dispatcher's intake window).</param>
/// <param name="Prefetch">The wide window's prefetch.</param>
/// <param name="Timeout">The longest one run may take.</param>
/// <param name="QuietWait">How long to wait for other work on the machine to end before each measurement.</param>
internal sealed record RawSizesSettings(int Messages, int LargeMessages, int InFlight, ushort Prefetch, TimeSpan Timeout, TimeSpan QuietWait);

/// <summary>One raw run with messages of one size.</summary>
/// <param name="Label">What each message holds.</param>
/// <param name="JobsPerMessage">Jobs (or attempts) each message carries.</param>
/// <param name="InFlight">Unconfirmed publishes at most.</param>
/// <param name="Prefetch">The consumer's prefetch.</param>
/// <param name="Result">The baseline's figures.</param>
/// <param name="Cpu">CPU each process used meanwhile.</param>
internal sealed record RawSizeRun(string Label, int JobsPerMessage, int InFlight, ushort Prefetch, RawResult Result, CpuUsage Cpu)
{
    /// <summary>Jobs per second the broker carried this way.</summary>
    public double JobRate => Result.Rate * JobsPerMessage;
}
