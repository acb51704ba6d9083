using Dispatcher.Bench.Broker;
using Dispatcher.Bench.Faults;
using Dispatcher.Bench.Jobs;
using Dispatcher.Bench.Processes;
using Dispatcher.Contracts;
using Dispatcher.Ledger;
using Dispatcher.Testing;
using Microsoft.Extensions.Options;

namespace Dispatcher.Bench.Pipeline;

/// <summary>
/// The throughput benchmark, all on one private node in one run: (a) the raw broker baseline,
/// (b) the routing stage alone (the real Dispatcher program, no workers), (c) the whole
/// pipeline (the real Dispatcher and Workers programs), and a broker-less profile of the
/// ledger's share of a job. Jobs are published the way <c>Submitter submit</c> publishes them.
/// With <paramref name="postgres"/> the programs keep their ledger in a database of that cluster
/// (a fresh one per stage) and its server's processes are measured beside them; with several
/// dispatchers (<see cref="PipelineSettings.Dispatchers"/>) each stage runs that many, each owning
/// one share of the model groups, and the jobs take turns through the groups.
/// </summary>
internal sealed class PipelineBenchmark(PrivateRabbitNode node, RepoLayout repo, PipelineSettings settings, PrivatePostgresCluster? postgres, TextWriter log)
{
    // The server's CPU is its postmaster's and that of every process the postmaster started.
    private static readonly HashSet<string> Trees = ["postgres"];

    private static readonly TimeSpan DepthPoll = TimeSpan.FromMilliseconds(50);

    private readonly TimeProvider _clock = TimeProvider.System;
    private readonly int _beam = ProcFs.FindBeam(node.EpmdPort) ?? 0;

    /// <summary>Runs every stage in turn and returns the figures.</summary>
    public async Task<PipelineResults> RunAsync(string workFolder, CancellationToken ct)
    {
        await using var broker = await BrokerClient.ConnectAsync(node, ct);
        await using var producer = await JobProducer.StartAsync(node, ct);

        var mainFile = Path.Combine(workFolder, "pipeline-jobs.jsonl");
        var warmupFile = Path.Combine(workFolder, "pipeline-warmup.jsonl");
        var oneFile = Path.Combine(workFolder, "pipeline-one.jsonl");
        await BatchFileWriter.WriteAsync(mainFile, settings.Jobs, settings.ModelGroups, ct);
        await BatchFileWriter.WriteAsync(warmupFile, settings.Warmup, settings.ModelGroups, ct);
        await BatchFileWriter.WriteAsync(oneFile, 1, settings.ModelGroups, ct);

        var job = await CaptureChunkAsync(broker, producer, oneFile, 1, singleActiveIntake: settings.Dispatchers == 1, ct);
        log.WriteLine($"  a serialized job on the intake queue is {job.Length} bytes (MassTransit envelope, body included)");

        log.WriteLine($"  (a) raw baseline: warm-up {settings.Warmup}, then {settings.Jobs} messages, {settings.RawInFlight} unconfirmed at most, prefetch {settings.RawPrefetch}");
        await RawBaseline.RunAsync(node, job, settings.Warmup, settings.RawInFlight, settings.RawPrefetch, settings.Timeout, ct);
        await QuietMachine.WaitAsync(Pids(), settings.QuietWait, log, ct, Trees);
        var rawCpu = CpuMeter.Start(Pids(), Trees);
        var raw = await RawBaseline.RunAsync(node, job, settings.Jobs, settings.RawInFlight, settings.RawPrefetch, settings.Timeout, ct);
        var rawUsage = rawCpu.Stop();
        log.WriteLine($"      {raw.Rate:N0} msg/s");

        // The same broker work with the window the dispatcher's intake endpoint has (32 concurrent
        // consumers, each awaiting its own send's confirm; prefetch 64). The faster of the two raw runs
        // is the reference, so the ratios are to the broker's best effort whichever window that takes.
        log.WriteLine($"  (a') raw baseline with the dispatcher's window: {PipelineSettings.NarrowInFlight} unconfirmed at most, prefetch {PipelineSettings.NarrowPrefetch}");
        await QuietMachine.WaitAsync(Pids(), settings.QuietWait, log, ct, Trees);
        var narrowCpu = CpuMeter.Start(Pids(), Trees);
        var narrow = await RawBaseline.RunAsync(node, job, settings.Jobs, PipelineSettings.NarrowInFlight, PipelineSettings.NarrowPrefetch, settings.Timeout, ct);
        var narrowUsage = narrowCpu.Stop();
        log.WriteLine($"      {narrow.Rate:N0} msg/s");

        var routing = new List<StageResult>
        {
            await RoutingAsync(broker, producer, mainFile, warmupFile, Path.GetTempPath(), WithDispatchers(postgres is null ? "routing, ledger on disk" : "routing, ledger on PostgreSQL"), workFolder, ct),
        };
        if (postgres is null && settings.CompareTmpfs && Directory.Exists(PipelineSettings.TmpfsFolder))
        {
            routing.Add(await RoutingAsync(broker, producer, mainFile, warmupFile, PipelineSettings.TmpfsFolder, "routing, ledger on tmpfs", workFolder, ct));
        }

        var pipeline = await PipelineAsync(broker, producer, mainFile, warmupFile, workFolder, ct);

        var ledger = new List<LedgerProfileResult>();
        if (settings.LedgerProfileJobs > 0)
        {
            log.WriteLine($"  ledger profile: {settings.LedgerProfileJobs} jobs, 32 concurrent callers, no broker");
            await QuietMachine.WaitAsync(Pids(), settings.QuietWait, log, ct, Trees);
            ledger.Add(await LedgerProfile.RunAsync(Path.GetTempPath(), "disk", settings.LedgerProfileJobs, 32, ct));
            if (Directory.Exists(PipelineSettings.TmpfsFolder))
            {
                await QuietMachine.WaitAsync(Pids(), settings.QuietWait, log, ct, Trees);
                ledger.Add(await LedgerProfile.RunAsync(PipelineSettings.TmpfsFolder, "tmpfs", settings.LedgerProfileJobs, 32, ct));
            }
        }

        return new PipelineResults(settings, job.Length, raw, rawUsage, narrow, narrowUsage, routing, pipeline, ledger);
    }

    /// <summary>
    /// Publishes a file of <paramref name="lines"/> jobs (at most one chunk) with no dispatcher running
    /// and reads its intake message back, so the raw baseline moves messages of exactly the product's size.
    /// </summary>
    internal static Task<byte[]> CaptureChunkAsync(BrokerClient broker, JobProducer producer, string file, int lines, CancellationToken ct) =>
        CaptureChunkAsync(broker, producer, file, lines, singleActiveIntake: true, ct);

    /// <summary>
    /// The same, declaring the intake as the dispatchers that follow will: single-active with one
    /// dispatcher, shared by every one with several (the broker refuses a declaration with other arguments).
    /// </summary>
    internal static async Task<byte[]> CaptureChunkAsync(BrokerClient broker, JobProducer producer, string file, int lines, bool singleActiveIntake, CancellationToken ct)
    {
        await broker.DeclareIntakeAsync(singleActiveIntake, ct);
        foreach (var queue in ProductEnvironment.ProductQueues)
        {
            await broker.PurgeAsync(queue, ct);
        }

        await producer.PublishAsync(file, "size-probe-" + lines, lines, ct);
        var body = await broker.TakeOneAsync(QueueNames.Intake, ct)
            ?? throw new InvalidOperationException("the probe chunk did not arrive on the intake queue");
        if (await broker.DepthAsync([QueueNames.Intake], ct) != 0)
        {
            throw new InvalidOperationException($"the {lines} probe jobs took more than one intake message");
        }

        await broker.PurgeAsync(QueueNames.Batches, ct);
        return body;
    }

    private async Task<StageResult> RoutingAsync(
        BrokerClient broker, JobProducer producer, string mainFile, string warmupFile, string ledgerRoot, string label, string workFolder, CancellationToken ct)
    {
        log.WriteLine($"  (b) {label}: the Dispatcher program alone, until {settings.Jobs} work items sit in the provider queues");
        using var env = new ProductEnvironment(node, Path.Combine(workFolder, Slug(label)), ledgerRoot, settings.MaxParallel, await DatabaseAsync(Slug(label), ct), settings.Dispatchers);
        await using var programs = new ProgramSet(env.Variables, env.Folder, repo);
        var dispatchers = StartDispatchers(programs);
        await WaitForDispatchersAsync(broker, dispatchers, ct);

        await using var ledger = new JobLedger(Options.Create(env.Ledger), _clock);
        await producer.PublishAsync(warmupFile, "warmup-" + Slug(label), settings.Warmup, ct);
        await WaitForRoutedAsync(broker, ledger, "warmup-" + Slug(label), settings.Warmup, dispatchers, ct);
        await CheckSharesAsync(ledger, dispatchers, ct);
        await PurgeProviderQueuesAsync(broker, ct);

        var pids = Pids(DispatcherPids(dispatchers));
        await QuietMachine.WaitAsync(pids, settings.QuietWait, log, ct, Trees);
        var cpu = CpuMeter.Start(pids, Trees);
        var started = _clock.GetTimestamp();
        await producer.PublishAsync(mainFile, Slug(label), settings.Jobs, ct);
        var published = _clock.GetElapsedTime(started);
        await WaitForRoutedAsync(broker, ledger, Slug(label), settings.Jobs, dispatchers, ct);
        var elapsed = _clock.GetElapsedTime(started);
        var usage = cpu.Stop();

        await PurgeProviderQueuesAsync(broker, ct);
        var result = new StageResult(label, settings.Jobs, elapsed, published, usage);
        log.WriteLine($"      {result.Rate:N0} jobs/s");
        return result;
    }

    private async Task<StageResult> PipelineAsync(
        BrokerClient broker, JobProducer producer, string mainFile, string warmupFile, string workFolder, CancellationToken ct)
    {
        log.WriteLine($"  (c) full pipeline: the Dispatcher and Workers programs, until the ledger shows {settings.Jobs} jobs ended");
        using var env = new ProductEnvironment(node, Path.Combine(workFolder, "pipeline"), Path.GetTempPath(), settings.MaxParallel, await DatabaseAsync("pipeline", ct), settings.Dispatchers);
        await using var programs = new ProgramSet(env.Variables, env.Folder, repo);
        var dispatchers = StartDispatchers(programs);
        var workers = programs.Start("Workers", "Workers.Host");
        ChildProgram[] all = [.. dispatchers, workers];
        await WaitForConsumersAsync(broker, all, [.. ProductEnvironment.ProviderQueuesOf(settings.Dispatchers)], ct);
        await WaitForDispatchersAsync(broker, all, ct);

        await using var ledger = new JobLedger(Options.Create(env.Ledger), _clock);
        await producer.PublishAsync(warmupFile, "warmup-pipeline", settings.Warmup, ct);
        await WaitForBatchAsync(broker, ledger, "warmup-pipeline", all, ct);
        await CheckSharesAsync(ledger, dispatchers, ct);

        var pids = Pids([.. DispatcherPids(dispatchers), ("workers", workers.Id)]);
        await QuietMachine.WaitAsync(pids, settings.QuietWait, log, ct, Trees);
        var cpu = CpuMeter.Start(pids, Trees);
        var started = _clock.GetTimestamp();
        await producer.PublishAsync(mainFile, "pipeline", settings.Jobs, ct);
        var published = _clock.GetElapsedTime(started);
        var status = await WaitForBatchAsync(broker, ledger, "pipeline", all, ct);
        var elapsed = _clock.GetElapsedTime(started);
        var usage = cpu.Stop();

        if (status.Succeeded != settings.Jobs)
        {
            throw new InvalidOperationException(
                $"the pipeline ended {status.Succeeded} jobs with a completion and {status.Failed} without one, of {settings.Jobs}; " +
                "with error-free simulated deployments every job should succeed");
        }

        var result = new StageResult(WithDispatchers("full pipeline"), settings.Jobs, elapsed, published, usage);
        log.WriteLine($"      {result.Rate:N0} jobs/s");
        return result;
    }

    private static Task WaitForConsumersAsync(BrokerClient broker, ChildProgram[] programs, string[] queues, CancellationToken ct) =>
        ProgramWaits.ConsumersAsync(broker, programs, queues, ct);

    // One dispatcher, or one per share, each preferring its own share's queues (processes started
    // together split the shares that way and join the others' queues as standbys later).
    private ChildProgram[] StartDispatchers(ProgramSet programs) =>
        settings.Dispatchers == 1
            ? [programs.Start("Dispatcher", "Dispatcher.Host")]
            : [.. Enumerable.Range(0, settings.Dispatchers).Select(k => programs.Start("Dispatcher", "Dispatcher.Host", $"--Dispatcher:PreferredShares:0={k}"))];

    // Every dispatcher on the intake and batch announcements, and with several, on every share's
    // queues, its own as the active consumer and the others' as standby: so no dispatcher joins a
    // queue during the measurement.
    private Task WaitForDispatchersAsync(BrokerClient broker, ChildProgram[] programs, CancellationToken ct) =>
        ProgramWaits.ConsumersAsync(broker, programs, ProductEnvironment.DispatcherQueues(settings.Dispatchers), settings.Dispatchers, ct);

    private (string Name, int Pid)[] DispatcherPids(ChildProgram[] dispatchers) =>
        [.. dispatchers.Select((d, k) => (settings.DispatcherNames[k], d.Id))];

    // With several dispatchers, the warm-up had jobs of every share: each share has been taken
    // over, and it must be by the dispatcher that prefers it, so each routes one share while
    // measured. The ledger names each share's owner by host, process id and a random tag.
    private async Task CheckSharesAsync(JobLedger ledger, ChildProgram[] dispatchers, CancellationToken ct)
    {
        if (dispatchers.Length == 1)
        {
            return;
        }

        var owners = await ledger.ListShareOwnersAsync(ct);
        var held = Enumerable.Range(0, dispatchers.Length)
            .All(k => owners.Any(o => o.Share == k && o.Owner.Contains($":{dispatchers[k].Id}:", StringComparison.Ordinal)));
        var described = string.Join("; ", owners.Select(o => $"share {o.Share} epoch {o.Epoch} by {o.Owner}"));
        if (!held)
        {
            throw new InvalidOperationException(
                $"after the warm-up the shares are not one per dispatcher (pids {string.Join(", ", dispatchers.Select(d => d.Id))}, " +
                $"share k preferred by the k-th): {described}");
        }

        log.WriteLine($"      each dispatcher holds its own share: {described}");
    }

    private string WithDispatchers(string label) =>
        settings.Dispatchers == 1 ? label : $"{label}, {settings.Dispatchers} dispatchers";

    // Routed means the ledger has every job marked sent and the intake is empty: the dispatcher
    // acknowledges an intake message only once the packs holding its jobs are confirmed, so
    // what is left then is at most the confirmation of the last packs, a millisecond or two.
    // (The provider queues' depth counts packs of attempts, not jobs.) With several dispatchers, a
    // job taken off the intake by a dispatcher that does not own its share crosses that share's
    // lane first, and only the owner marks it sent. The ledger is read only once the intake is
    // empty: the batch's counts read every job of it, which on a PostgreSQL ledger is the server's
    // work, and read 20 times a second they would be billed to it.
    private Task WaitForRoutedAsync(BrokerClient broker, JobLedger ledger, string batchId, int jobs, ChildProgram[] dispatchers, CancellationToken ct) =>
        Processes.Polling.UntilAsync(
            async () =>
            {
                Array.ForEach(dispatchers, d => d.ThrowIfExited());
                if (await broker.DepthAsync([QueueNames.Intake], ct) != 0)
                {
                    return false;
                }

                var status = await ledger.GetBatchStatusAsync(batchId, ct);
                return status is not null && status.Dispatched >= jobs;
            },
            DepthPoll,
            settings.Timeout,
            $"{jobs} jobs of batch {batchId} sent to the provider queues",
            ct);

    // Ended means the ledger shows every job ended. It is read only while the dispatcher's intake
    // and outcome queues hold no message, as at the batch's end: the batch's counts read every job
    // of it (the versions its updates left too), which on a PostgreSQL ledger is the server's work,
    // and read every 250 ms through the stage they took most of a core.
    private async Task<BatchStatus> WaitForBatchAsync(BrokerClient broker, JobLedger ledger, string batchId, ChildProgram[] programs, CancellationToken ct)
    {
        BatchStatus? status = null;
        await Processes.Polling.UntilAsync(
            async () =>
            {
                Array.ForEach(programs, p => p.ThrowIfExited());
                if (await broker.DepthAsync([QueueNames.Intake, .. ProductEnvironment.OutcomeQueuesOf(settings.Dispatchers)], ct) != 0)
                {
                    return false;
                }

                status = await ledger.GetBatchStatusAsync(batchId, ct);
                return status is { IsComplete: true };
            },
            DepthPoll,
            settings.Timeout,
            $"batch {batchId} to end in the ledger",
            ct);
        return status!;
    }

    private async Task PurgeProviderQueuesAsync(BrokerClient broker, CancellationToken ct)
    {
        foreach (var queue in ProductEnvironment.ProviderQueuesOf(settings.Dispatchers))
        {
            await broker.PurgeAsync(queue, ct);
        }
    }

    private Dictionary<string, int> Pids(params (string Name, int Pid)[] programs)
    {
        var pids = new Dictionary<string, int>(StringComparer.Ordinal) { ["bench"] = Environment.ProcessId };
        if (_beam != 0)
        {
            pids["broker"] = _beam;
        }

        if (postgres?.ServerProcessId is { } server)
        {
            pids["postgres"] = server;
        }

        foreach (var (name, pid) in programs)
        {
            pids[name] = pid;
        }

        return pids;
    }

    // A fresh database of the cluster for a stage, so no stage reads another's jobs; null on SQLite.
    private async Task<string?> DatabaseAsync(string stage, CancellationToken ct) =>
        postgres is null ? null : await postgres.CreateDatabaseAsync("bench_" + stage.Replace('-', '_'), cancellationToken: ct);

    private static string Slug(string label) =>
        new([.. label.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')]);
}
