using System.Globalization;
using System.Text.Json;
using Dapper;
using Dispatcher.Bench.Jobs;
using Dispatcher.Bench.Processes;
using Dispatcher.Contracts;
using Dispatcher.Testing;
using Microsoft.Data.Sqlite;
using RabbitMQ.Client;

namespace Dispatcher.Bench.Reliability;

/// <summary>
/// A batch through the real Dispatcher, Workers and Submitter programs on the private node while
/// the Workers process is killed (kill -9), then the Dispatcher process, then the broker is
/// restarted; afterwards it counts what was lost or duplicated. Optionally the same batch without
/// faults first, for its completion time.
/// </summary>
internal sealed class ReliabilityBenchmark(PrivateRabbitNode node, RepoLayout repo, ReliabilitySettings settings, TextWriter log)
{
    private const string BatchId = "reliability";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan LedgerPoll = TimeSpan.FromMilliseconds(50);

    private readonly TimeProvider _clock = TimeProvider.System;

    /// <summary>Runs the baseline (when asked) and the faulted batch.</summary>
    public async Task<IReadOnlyList<ReliabilityRun>> RunAsync(string workFolder, CancellationToken ct)
    {
        var runs = new List<ReliabilityRun>();
        if (settings.Baseline)
        {
            runs.Add(await RunOnceAsync(Path.Combine(workFolder, "baseline"), "no faults", faults: false, ct));
        }

        runs.Add(await RunOnceAsync(Path.Combine(workFolder, "faults"), "workers killed, dispatcher killed, broker restarted", faults: true, ct));
        return runs;
    }

    private async Task<ReliabilityRun> RunOnceAsync(string folder, string label, bool faults, CancellationToken ct)
    {
        log.WriteLine($"  {label}: {settings.Jobs} jobs");
        using var env = await ReliabilityEnvironment.CreateAsync(node, folder, settings, ct);
        var batch = Path.Combine(folder, "batch.jsonl");
        await BatchFileWriter.WriteAsync(batch, settings.Jobs, ReliabilityEnvironment.ModelGroup, ct);
        var programs = new List<ChildProgram>();
        var injected = new List<string>();
        ChildProgram Start(string name, string project, params string[] args)
        {
            var program = ChildProgram.Start(name, repo.Program(project), env.Variables, args, Path.Combine(folder, $"{name}-{programs.Count}.log"));
            programs.Add(program);
            return program;
        }

        try
        {
            var dispatcher = Start("dispatcher", "Dispatcher.Host");
            var workers = Start("workers", "Workers.Host");
            await WaitForConsumersAsync(env, [dispatcher, workers], ct);

            var started = _clock.GetTimestamp();
            var submitter = Start(
                "submitter", "Submitter",
                "submit", batch, "--wait", "--batch-id", BatchId, "--out", env.OutputFolder,
                "--timeout", settings.Timeout.ToString("c", CultureInfo.InvariantCulture));
            if (faults)
            {
                var ended = await WaitForEndedAsync(env, ReliabilitySettings.KillWorkersAt, submitter, ct);
                await workers.DisposeAsync(); // kill -9
                injected.Add($"Workers process killed (SIGKILL) with {ended} of {settings.Jobs} jobs ended; a new one started at once");
                workers = Start("workers", "Workers.Host");

                ended = await WaitForEndedAsync(env, ReliabilitySettings.KillDispatcherAt, submitter, ct);
                await dispatcher.DisposeAsync(); // kill -9
                injected.Add($"Dispatcher process killed (SIGKILL) with {ended} of {settings.Jobs} jobs ended; a new one started at once");
                dispatcher = Start("dispatcher", "Dispatcher.Host");

                ended = await WaitForEndedAsync(env, ReliabilitySettings.RestartBrokerAt, submitter, ct);
                var down = _clock.GetTimestamp();
                await node.RestartAsync(ct);
                injected.Add($"broker restarted (full stop and start, {_clock.GetElapsedTime(down).TotalSeconds:0.0} s) with {ended} of {settings.Jobs} jobs ended");
            }

            if (!await submitter.WaitForExitAsync(settings.Timeout, ct))
            {
                throw new TimeoutException($"the batch did not end within {settings.Timeout}; submitter:{Environment.NewLine}{submitter.Tail()}");
            }

            var completion = _clock.GetElapsedTime(started);
            foreach (var fault in injected)
            {
                log.WriteLine("      " + fault);
            }

            return await CountAsync(env, label, submitter.ExitCode, completion, injected, ct);
        }
        finally
        {
            foreach (var program in programs)
            {
                await program.DisposeAsync();
            }
        }
    }

    private async Task<ReliabilityRun> CountAsync(
        ReliabilityEnvironment env, string label, int exitCode, TimeSpan completion, IReadOnlyList<string> faults, CancellationToken ct)
    {
        var lines = new[] { $"{BatchId}-output.jsonl", $"{BatchId}-errors.jsonl" }
            .Select(name => Path.Combine(env.OutputFolder, name))
            .Where(File.Exists)
            .SelectMany(File.ReadLines)
            .Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()!)
            .ToList();
        var expected = Enumerable.Range(1, settings.Jobs).Select(i => $"request-{i}").ToHashSet(StringComparer.Ordinal);
        var lost = expected.Except(lines).Count();
        var duplicateLines = lines.Count - lines.Distinct(StringComparer.Ordinal).Count();

        var calls = File.Exists(env.CallLogPath)
            ? File.ReadLines(env.CallLogPath).Where(l => l.Length > 0).Select(l =>
            {
                var call = JsonDocument.Parse(l).RootElement;
                return (Job: call.GetProperty("jobId").GetString()!, Attempt: call.GetProperty("attempt").GetInt32());
            }).ToList()
            : [];

        await using var ledger = new SqliteConnection($"Data Source={env.LedgerPath};Mode=ReadOnly;Pooling=False");
        var counts = await ledger.QuerySingleAsync<(long Succeeded, long Failed, long Attempts)>(new CommandDefinition(
            """
            SELECT COALESCE(SUM(state = 'succeeded'), 0), COALESCE(SUM(state = 'failed'), 0), COALESCE(SUM(attempts), 0)
            FROM jobs WHERE batch_id = @BatchId
            """,
            new { BatchId },
            cancellationToken: ct));
        return new ReliabilityRun(
            label,
            settings.Jobs,
            exitCode,
            lost,
            duplicateLines,
            counts.Succeeded,
            counts.Failed,
            calls.Count,
            calls.Count - calls.Distinct().Count(),
            counts.Attempts,
            completion,
            faults);
    }

    // Waits until the given share of the batch has ended in the ledger; returns how many had.
    private async Task<long> WaitForEndedAsync(ReliabilityEnvironment env, double share, ChildProgram submitter, CancellationToken ct)
    {
        var target = (long)Math.Ceiling(settings.Jobs * share);
        long ended = 0;
        await Polling.UntilAsync(
            async () =>
            {
                submitter.ThrowIfExited();
                if (!File.Exists(env.LedgerPath))
                {
                    return false;
                }

                await using var ledger = new SqliteConnection($"Data Source={env.LedgerPath};Mode=ReadOnly;Pooling=False");
                ended = await ledger.ExecuteScalarAsync<long>(new CommandDefinition(
                    "SELECT COUNT(*) FROM jobs WHERE batch_id = @BatchId AND state IN ('succeeded', 'failed')",
                    new { BatchId },
                    cancellationToken: ct));
                return ended >= target;
            },
            LedgerPoll,
            settings.Timeout,
            $"{target} jobs of the batch to end",
            ct);
        return ended;
    }

    private async Task WaitForConsumersAsync(ReliabilityEnvironment env, ChildProgram[] programs, CancellationToken ct)
    {
        var factory = new ConnectionFactory
        {
            HostName = node.Host,
            Port = node.AmqpPort,
            VirtualHost = env.Variables["DISPATCHER_Transport__RabbitMq__VirtualHost"],
            UserName = node.Username,
            Password = node.Password,
        };
        await using var connection = await factory.CreateConnectionAsync("reliability probe", ct);
        string[] queues = [QueueNames.Intake, QueueNames.Outcomes, .. ReliabilityEnvironment.Deployments.Select(QueueNames.Provider)];
        await Polling.UntilAsync(
            async () =>
            {
                Array.ForEach(programs, p => p.ThrowIfExited());
                foreach (var queue in queues)
                {
                    await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
                    try
                    {
                        if ((await channel.QueueDeclarePassiveAsync(queue, ct)).ConsumerCount == 0)
                        {
                            return false;
                        }
                    }
                    catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
                    {
                        return false;
                    }
                }

                return true;
            },
            TimeSpan.FromMilliseconds(200),
            StartTimeout,
            "the programs to consume " + string.Join(", ", queues),
            ct);
    }
}
