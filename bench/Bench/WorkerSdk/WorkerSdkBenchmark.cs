using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dispatcher.Bench.Broker;
using Dispatcher.Bench.Jobs;
using Dispatcher.Bench.Pipeline;
using Dispatcher.Bench.Processes;
using Dispatcher.Contracts;
using Dispatcher.Ledger;
using Dispatcher.Testing;
using Microsoft.Extensions.Options;

namespace Dispatcher.Bench.WorkerSdk;

/// <summary>
/// The workers' CPU per provider call with the official OpenAI SDK: the real Dispatcher and
/// Workers programs on the private node, deployments of the OpenAI provider whose base URL is an
/// <see cref="OpenAiStub"/> process on loopback, a batch published as <c>Submitter submit</c> does.
/// For comparison, the same batch with the simulated provider (no HTTP at all), and a bare
/// <see cref="HttpClient"/> loop posting the same body to the same server (the HTTP client's own cost).
/// </summary>
internal sealed class WorkerSdkBenchmark(PrivateRabbitNode node, RepoLayout repo, WorkerSdkSettings settings, TextWriter log)
{
    private const string KeyVariable = "BENCH_OPENAI_API_KEY";
    private const string Model = "bench-model";

    private readonly TimeProvider _clock = TimeProvider.System;
    private readonly int _beam = ProcFs.FindBeam(node.EpmdPort) ?? 0;
    private readonly string _apiKey = "sk-bench-" + Guid.NewGuid().ToString("N");

    /// <summary>Runs the OpenAI batch, the simulated batch and the bare loop; returns their figures.</summary>
    public async Task<IReadOnlyList<WorkerSdkRun>> RunAsync(string workFolder, CancellationToken ct)
    {
        await using var broker = await BrokerClient.ConnectAsync(node, ct);
        await using var producer = await JobProducer.StartAsync(node, ct);
        var mainFile = Path.Combine(workFolder, "worker-sdk-jobs.jsonl");
        var warmupFile = Path.Combine(workFolder, "worker-sdk-warmup.jsonl");
        await BatchFileWriter.WriteAsync(mainFile, settings.Calls, ProductEnvironment.ModelGroup, ct);
        await BatchFileWriter.WriteAsync(warmupFile, settings.Warmup, ProductEnvironment.ModelGroup, ct);

        var benchDll = Assembly.GetEntryAssembly()?.Location ?? throw new InvalidOperationException("the bench's own assembly has no location");
        await using var stub = ChildProgram.Start("OpenAI stub", benchDll, new Dictionary<string, string>(), ["openai-stub"], Path.Combine(workFolder, "openai-stub.log"));
        var server = await stub.ListeningUrlAsync(ProgramWaits.StartTimeout, ct);
        var baseUrl = new Uri(server, "v1");
        log.WriteLine($"  OpenAI stub (pid {stub.Id}) at {baseUrl}");

        var runs = new List<WorkerSdkRun>
        {
            await PipelineAsync(broker, producer, "workers, OpenAI SDK against the stub", "openai", OpenAiCatalog(baseUrl), stub, mainFile, warmupFile, workFolder, ct),
        };
        if (settings.CompareSimulated)
        {
            runs.Add(await PipelineAsync(
                broker, producer, "workers, simulated provider (no HTTP)", "simulated", ProductEnvironment.SimulatedCatalog(settings.MaxParallel, latencyMs: 0), stub, mainFile, warmupFile, workFolder, ct));
        }

        runs.Add(await BareLoopAsync(new Uri(baseUrl + "/chat/completions"), mainFile, stub, ct));
        return runs;
    }

    private async Task<WorkerSdkRun> PipelineAsync(
        BrokerClient broker, JobProducer producer, string label, string slug, object catalog, ChildProgram stub, string mainFile, string warmupFile, string workFolder, CancellationToken ct)
    {
        log.WriteLine($"  {label}: {settings.Calls} jobs through the Dispatcher and Workers programs");
        using var env = new ProductEnvironment(node, Path.Combine(workFolder, "worker-sdk-" + slug), Path.GetTempPath(), catalog);
        var variables = new Dictionary<string, string>(env.Variables, StringComparer.Ordinal) { [KeyVariable] = _apiKey };
        await using var dispatcher = ChildProgram.Start("Dispatcher", repo.Program("Dispatcher.Host"), variables, [], Path.Combine(env.Folder, "dispatcher.log"));
        await using var workers = ChildProgram.Start("Workers", repo.Program("Workers.Host"), variables, [], Path.Combine(env.Folder, "workers.log"));
        ChildProgram[] programs = [dispatcher, workers, stub];
        await ProgramWaits.ConsumersAsync(broker, programs, [QueueNames.Intake, QueueNames.Outcomes, QueueNames.Batches, .. ProductEnvironment.ProviderQueues], ct);
        await using var ledger = new JobLedger(Options.Create(new LedgerOptions { Path = env.LedgerPath }), _clock);

        var batch = "worker-sdk-" + slug;
        await producer.PublishAsync(warmupFile, batch + "-warmup", settings.Warmup, ct);
        await ProgramWaits.BatchEndedAsync(ledger, batch + "-warmup", programs, settings.Timeout, ct);

        var pids = Pids(("dispatcher", dispatcher.Id), ("workers", workers.Id), ("stub", stub.Id));
        await QuietMachine.WaitAsync(pids, settings.QuietWait, log, ct);
        var cpu = CpuMeter.Start(pids);
        await producer.PublishAsync(mainFile, batch, settings.Calls, ct);
        var status = await ProgramWaits.BatchEndedAsync(ledger, batch, programs, settings.Timeout, ct);
        var usage = cpu.Stop();
        if (status.Succeeded != settings.Calls)
        {
            throw new InvalidOperationException(
                $"{label}: {status.Succeeded} of {settings.Calls} jobs succeeded and {status.Failed} failed; with a provider that always answers every job should succeed (see {env.Folder})");
        }

        log.WriteLine($"      workers {usage.MsPer("workers", settings.Calls):0.000} ms of CPU per call");
        return new WorkerSdkRun(label, settings.Calls, usage);
    }

    private async Task<WorkerSdkRun> BareLoopAsync(Uri url, string mainFile, ChildProgram stub, CancellationToken ct)
    {
        const string label = "bare HttpClient POST loop (the bench)";
        log.WriteLine($"  {label}: {settings.Calls} requests, {settings.MaxParallel} at a time");
        // The body the worker sends: the job's own, with the deployment's model name in it.
        var body = JsonNode.Parse(File.ReadLines(mainFile).First())!["body"]!.AsObject();
        body["model"] = Model;
        var json = body.ToJsonString();
        await BareClientLoop.RunAsync(url, json, _apiKey, settings.Warmup, settings.MaxParallel, ct);

        var pids = Pids(("stub", stub.Id));
        await QuietMachine.WaitAsync(pids, settings.QuietWait, log, ct);
        var cpu = CpuMeter.Start(pids);
        await BareClientLoop.RunAsync(url, json, _apiKey, settings.Calls, settings.MaxParallel, ct);
        var usage = cpu.Stop();
        log.WriteLine($"      bench {usage.MsPer("bench", settings.Calls):0.000} ms of CPU per request");
        return new WorkerSdkRun(label, settings.Calls, usage);
    }

    private object OpenAiCatalog(Uri baseUrl) => new
    {
        Deployments = ProductEnvironment.Deployments.Select(id => new
        {
            Id = id,
            ModelGroup = ProductEnvironment.ModelGroup,
            Provider = "OpenAI",
            Model,
            BaseUrl = baseUrl,
            ApiKeyVariable = KeyVariable,
            Rpm = 1_000_000_000,
            Tpm = 1_000_000_000,
            MaxParallel = settings.MaxParallel,
            InputPricePerMillion = 0.15,
            OutputPricePerMillion = 0.60,
            ContextWindow = 128_000,
            TimeoutSeconds = 30,
        }).ToArray(),
        ModelGroups = new[] { new { Name = ProductEnvironment.ModelGroup, Strategy = "round-robin", MaxAttempts = 4, DefaultMaxTokens = 256 } },
    };

    private Dictionary<string, int> Pids(params (string Name, int Pid)[] programs)
    {
        var pids = new Dictionary<string, int>(StringComparer.Ordinal) { ["bench"] = Environment.ProcessId };
        if (_beam != 0)
        {
            pids["broker"] = _beam;
        }

        foreach (var (name, pid) in programs)
        {
            pids[name] = pid;
        }

        return pids;
    }
}

/// <summary>How <see cref="WorkerSdkBenchmark"/> runs.</summary>
/// <param name="Calls">Jobs (calls, requests) measured in each run.</param>
/// <param name="Warmup">Unmeasured jobs (requests) first.</param>
/// <param name="MaxParallel">MaxParallel of each deployment, and the bare loop's concurrency.</param>
/// <param name="CompareSimulated">Also run the batch with the simulated provider.</param>
/// <param name="Timeout">The longest one run may take.</param>
/// <param name="QuietWait">How long to wait for other work on the machine to end before each measurement.</param>
internal sealed record WorkerSdkSettings(int Calls, int Warmup, int MaxParallel, bool CompareSimulated, TimeSpan Timeout, TimeSpan QuietWait);

/// <summary>One measured run: the batch through the programs, or the bare loop.</summary>
/// <param name="Label">What ran.</param>
/// <param name="Calls">Calls (or requests) made.</param>
/// <param name="Cpu">CPU each process used meanwhile.</param>
internal sealed record WorkerSdkRun(string Label, int Calls, CpuUsage Cpu);
