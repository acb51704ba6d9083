using System.Globalization;
using Dispatcher.Bench.Broker;
using Dispatcher.Bench.Jobs;
using Dispatcher.Bench.Processes;
using Dispatcher.Contracts;
using Dispatcher.Batches;
using Dispatcher.Testing;

namespace Dispatcher.Bench.Bulk;

/// <summary>
/// Bulk submit: the real <c>Submitter submit FILE</c> program as a child process against the
/// private node with no dispatcher running, so the jobs accumulate in the durable intake queue.
/// Measures wall time (validation plus publishing) and the child's peak resident memory (VmHWM),
/// per file size; the intake queue is verified and purged between sizes so the broker stays small.
/// </summary>
internal sealed class BulkBenchmark(PrivateRabbitNode node, RepoLayout repo, TextWriter log)
{
    private static readonly TimeSpan MemoryPoll = TimeSpan.FromMilliseconds(5);

    private readonly TimeProvider _clock = TimeProvider.System;

    /// <summary>Runs a one-line file (the fixed start-up cost), then each size in turn.</summary>
    public async Task<IReadOnlyList<BulkResult>> RunAsync(IReadOnlyList<int> sizes, string workFolder, TimeSpan timeout, TimeSpan quietWait, CancellationToken ct)
    {
        await using var broker = await BrokerClient.ConnectAsync(node, ct);
        await broker.DeclareIntakeAsync(ct);
        foreach (var queue in new[] { QueueNames.Intake, QueueNames.Batches })
        {
            await broker.PurgeAsync(queue, ct);
        }

        var results = new List<BulkResult>();
        foreach (var size in sizes.Prepend(1))
        {
            results.Add(await RunOneAsync(broker, size, workFolder, timeout, quietWait, ct));
        }

        return results;
    }

    private async Task<BulkResult> RunOneAsync(BrokerClient broker, int size, string workFolder, TimeSpan timeout, TimeSpan quietWait, CancellationToken ct)
    {
        var file = Path.Combine(workFolder, $"bulk-{size}.jsonl");
        try
        {
            var bytes = await BatchFileWriter.WriteAsync(file, size, "gpt-4o-mini", ct);
            log.WriteLine($"  {size:N0} lines ({bytes / 1024.0 / 1024.0:0.0} MiB): validating in-process, then Submitter submit");

            await QuietMachine.WaitAsync(Ours(), quietWait, log, ct);
            var validationCpu = CpuMeter.Start(Ours());
            var validationStarted = _clock.GetTimestamp();
            var validation = await BatchFileValidator.ValidateAsync(file, BatchFileLimits.Default, ct);
            var validationTime = _clock.GetElapsedTime(validationStarted);
            var validationOther = validationCpu.Stop().OtherPercentOfOneCore;
            if (!validation.IsValid || validation.Lines != size)
            {
                throw new InvalidOperationException($"the generated file {file} did not validate: {string.Join("; ", validation.Errors)}");
            }

            await QuietMachine.WaitAsync(Ours(), quietWait, log, ct);
            var (wall, peak, brokerPeak, submitOther) = await SubmitAsync(file, size, workFolder, timeout, ct);

            // The generated lines are far shorter than a chunk's byte limit, so every chunk but
            // the last holds the full number of jobs.
            var chunks = (size + BatchPublisher.ChunkJobs - 1) / BatchPublisher.ChunkJobs;
            var depth = (await broker.TryInspectAsync(QueueNames.Intake, ct))?.MessageCount ?? 0;
            if (depth != chunks)
            {
                throw new InvalidOperationException($"Submitter reported success but the intake queue holds {depth} messages, not the {chunks} chunks of {size} jobs");
            }

            await broker.PurgeAsync(QueueNames.Intake, ct);
            await broker.PurgeAsync(QueueNames.Batches, ct);
            var result = new BulkResult(size, bytes, validationTime, wall, peak, brokerPeak, validationOther, submitOther);
            log.WriteLine($"      {result.LinesPerSecond:N0} lines/s, peak RSS {peak / 1024.0 / 1024.0:0.0} MiB");
            return result;
        }
        finally
        {
            File.Delete(file);
        }
    }

    private Dictionary<string, int> Ours()
    {
        var pids = new Dictionary<string, int>(StringComparer.Ordinal) { ["bench"] = Environment.ProcessId };
        if (ProcFs.FindBeam(node.EpmdPort) is { } beam)
        {
            pids["broker"] = beam;
        }

        return pids;
    }

    private async Task<(TimeSpan Wall, long PeakRss, long BrokerPeakRss, double OtherPercentOfOneCore)> SubmitAsync(string file, int size, string workFolder, TimeSpan timeout, CancellationToken ct)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["DISPATCHER_Transport__Kind"] = "RabbitMq",
            ["DISPATCHER_Transport__RabbitMq__Host"] = node.Host,
            ["DISPATCHER_Transport__RabbitMq__Port"] = node.AmqpPort.ToString(CultureInfo.InvariantCulture),
            ["DISPATCHER_Transport__RabbitMq__ManagementPort"] = node.ManagementPort.ToString(CultureInfo.InvariantCulture),
            ["DISPATCHER_Ledger__Path"] = Path.Combine(workFolder, "bulk-ledger.db"),
        };
        var beam = ProcFs.FindBeam(node.EpmdPort);
        long peak = 0;
        long brokerPeak = 0;
        long submitterTicks = 0;
        using var stopSampling = new CancellationTokenSource();

        var cpu = CpuMeter.Start(Ours());
        var started = _clock.GetTimestamp();
        await using var submitter = ChildProgram.Start(
            "Submitter", repo.Program("Submitter"), environment,
            ["submit", file, "--batch-id", $"bulk-{size}"],
            Path.Combine(workFolder, $"submitter-{size}.log"));

        // VmHWM is the kernel's own high-water mark, so a sample taken any time before exit holds
        // the peak so far; sampling often only narrows the window after the last sample.
        var sampler = Task.Run(
            async () =>
            {
                while (!stopSampling.IsCancellationRequested)
                {
                    peak = Math.Max(peak, ProcFs.StatusBytes(submitter.Id, "VmHWM") ?? 0);

                    // The child's own CPU, read while it still exists: its /proc entry goes when it exits.
                    submitterTicks = ProcFs.CpuTicks(submitter.Id) ?? submitterTicks;
                    if (beam is { } b)
                    {
                        brokerPeak = Math.Max(brokerPeak, ProcFs.StatusBytes(b, "VmRSS") ?? 0);
                    }

                    try
                    {
                        await Task.Delay(MemoryPoll, _clock, stopSampling.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
            },
            CancellationToken.None);

        var exited = await submitter.WaitForExitAsync(timeout, ct);
        var wall = _clock.GetElapsedTime(started);
        var usage = cpu.Stop();
        await stopSampling.CancelAsync();
        await sampler;

        // Everything but the bench, the broker and the Submitter (the last read at most 5 ms before it exited).
        var submitterPercent = 100.0 * submitterTicks / ProcFs.TicksPerSecond / usage.Wall.TotalSeconds;
        var other = Math.Max(0, usage.OtherPercentOfOneCore - submitterPercent);

        if (!exited)
        {
            throw new TimeoutException(
                $"Submitter submit of {size:N0} lines did not finish within {timeout}; if the broker raised a memory or disk alarm " +
                $"it blocks publishers (rabbitmqctl -n {node.NodeName} list_alarms). Last output:{Environment.NewLine}{submitter.Tail()}");
        }

        if (submitter.ExitCode != 0)
        {
            throw new InvalidOperationException($"Submitter submit exited with code {submitter.ExitCode}:{Environment.NewLine}{submitter.Tail()}");
        }

        return (wall, peak, brokerPeak, other);
    }
}

/// <summary>One bulk submit's figures.</summary>
/// <param name="Lines">Lines in the file (jobs published).</param>
/// <param name="FileBytes">The file's size.</param>
/// <param name="Validation">The validation pass alone, in-process.</param>
/// <param name="Wall">The Submitter process from start to exit: start-up, validation, connecting, publishing.</param>
/// <param name="PeakRss">The Submitter's peak resident memory (VmHWM).</param>
/// <param name="BrokerPeakRss">The broker's largest resident memory seen meanwhile.</param>
/// <param name="ValidationOtherPercent">CPU other work on the machine used during the validation pass, in percent of one core.</param>
/// <param name="SubmitOtherPercent">CPU other work on the machine (not the bench, the broker or the Submitter) used during the submit, in percent of one core.</param>
internal sealed record BulkResult(
    int Lines, long FileBytes, TimeSpan Validation, TimeSpan Wall, long PeakRss, long BrokerPeakRss, double ValidationOtherPercent, double SubmitOtherPercent)
{
    /// <summary>Lines per second over the whole process lifetime.</summary>
    public double LinesPerSecond => Lines / Wall.TotalSeconds;

    /// <summary>Lines per second of validation alone.</summary>
    public double ValidationLinesPerSecond => Lines / Validation.TotalSeconds;
}
