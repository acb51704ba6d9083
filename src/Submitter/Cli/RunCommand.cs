using System.CommandLine;
using Dispatcher.Ledger;
using Dispatcher.Reconciling;
using Dispatcher.Batches;
using Dispatcher.Submitter.Hosting;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Spectre.Console;

namespace Dispatcher.Submitter.Cli;

/// <summary>
/// <c>run FILE</c>: the whole pipeline in this process on the embedded default (in-memory
/// transport, SQLite ledger, the catalog's providers), with live progress, ending with the
/// results files and a summary. Run again after an interruption, the same file continues the
/// batch it left unfinished in the same ledger; <c>--new</c> starts afresh.
/// </summary>
internal static class RunCommand
{
    /// <summary>
    /// The most jobs a run has published and not yet seen end, unless <c>--in-flight</c> says: about
    /// a second of work for the fastest simulated deployments, far more than the calls a catalog
    /// makes at once, and some 8 MB of messages (about 4 KB a job in flight).
    /// </summary>
    public const int DefaultInFlight = 2_000;

    public static Command Create()
    {
        var file = CommonOptions.BatchFile();
        var config = CommonOptions.Config();
        var ledger = CommonOptions.Ledger();
        var output = CommonOptions.Out();
        var priority = CommonOptions.Priority();
        var tenant = CommonOptions.Tenant();
        var window = CompletionWindowOption.Create();
        var metadata = MetadataOption.Create();
        var timeout = new Option<TimeSpan>("--timeout")
        {
            Description = "Give up waiting for the batch after this long (hh:mm:ss).",
            DefaultValueFactory = _ => TimeSpan.FromHours(1),
        };
        var fresh = new Option<bool>("--new")
        {
            Description = "Start a new batch even when an earlier run of the same file left one unfinished in the ledger; that batch's unfinished jobs then end failed (batch_cancelled).",
        };
        var inFlight = new Option<int>("--in-flight")
        {
            Description = "The most jobs published and not yet ended at once: the file is published in step with the batch's progress, so memory stays flat whatever its size.",
            DefaultValueFactory = _ => DefaultInFlight,
        };
        inFlight.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError($"--in-flight must be at least 1, got {r.GetValueOrDefault<int>()}");
            }
        });
        var command = new Command("run", "Run a JSONL batch end to end in this process (embedded dispatcher and workers) and write its results. Run again, the same file resumes its unfinished batch.")
        {
            file, config, ledger, output, timeout, priority, tenant, fresh, window, metadata, inFlight,
        };
        command.SetAction((parse, ct) => RunAsync(
            parse.GetRequiredValue(file),
            parse.GetValue(config),
            parse.GetValue(ledger),
            parse.GetRequiredValue(output),
            parse.GetValue(timeout),
            parse.GetValue(priority),
            parse.GetValue(tenant),
            parse.GetValue(fresh),
            parse.GetValue(window),
            parse.GetValue(metadata),
            parse.GetValue(inFlight),
            ct));
        return command;
    }

    private static async Task<int> RunAsync(FileInfo file, string? config, string? ledgerPath, string output, TimeSpan timeout, int priority, string? tenant, bool fresh, TimeSpan? window, IReadOnlyDictionary<string, string>? metadata, int inFlight, CancellationToken ct)
    {
        if (await BatchFileCheck.ValidateAsync(file, SubmitterHosts.LoadConfiguration(config), ct, againstCatalog: true) is not (var limits, var lines))
        {
            return ExitCodes.InvalidInput;
        }

        var digest = await BatchFileDigest.ComputeAsync(file.FullName, ct);
        using var host = SubmitterHosts.Embedded(config, ledgerPath);
        var ledger = host.Services.GetRequiredService<JobLedger>();
        // The run's lock is a file beside its ledger: a server's ledger, which other machines'
        // programs share, would not be kept from a second run, which would take this one's jobs in
        // flight (held in this process's memory) for abandoned and send them again.
        if (host.Services.GetRequiredService<IOptions<LedgerOptions>>().Value.Provider != LedgerProvider.Sqlite)
        {
            await Console.Error.WriteLineAsync(
                $"error: `run` keeps its jobs in flight in its own memory and needs a ledger file of its own, but Ledger:Provider is Postgres ({ledger.Location}); " +
                "run it on a SQLite ledger (DISPATCHER_Ledger__Provider=Sqlite, --ledger FILE), or `submit` the file to dispatchers on the PostgreSQL ledger. Nothing was sent.");
            return ExitCodes.InvalidInput;
        }

        using var runLock = LedgerRunLock.TryTake(ledger.FilePath);
        if (runLock is null)
        {
            await Console.Error.WriteLineAsync(
                $"error: another run is using the ledger {ledger.Location} (it holds {LedgerRunLock.PathFor(ledger.FilePath)}); wait for it to end, or pass --ledger to use another file.");
            return ExitCodes.Failed;
        }

        // Before the pipeline starts, so the spend it restores from the ledger already sees the
        // jobs a superseded batch ended.
        await ledger.InitializeAsync(ct);
        var unfinished = await ledger.FindUnfinishedBatchAsync(digest, ct);
        var batchId = "batch_" + NewId.NextGuid().ToString("N");
        if (unfinished is not null && fresh)
        {
            var ended = await ledger.CancelUnfinishedJobsAsync(unfinished.BatchId, $"superseded by batch {batchId}: `run --new` started {file.Name} afresh", ct);
            BatchFileCheck.Note(
                $"Batch {unfinished.BatchId}, an earlier run of this file, ended: its {ended} unfinished jobs failed as batch_cancelled " +
                $"(`results {unfinished.BatchId}` writes its files). Starting afresh.");
        }

        await host.StartAsync(ct);
        var stopped = false;
        try
        {
            var publish = true;
            if (unfinished is not null && !fresh)
            {
                batchId = unfinished.BatchId;
                var redriven = await host.Services.GetRequiredService<Reconciler>().RedriveBatchAsync(batchId, ct);
                publish = unfinished.NotYetReceived > 0 || unfinished.TotalJobs is null;
                BatchFileCheck.Note(
                    $"Resuming batch {batchId}, which an earlier run of this file started at {unfinished.CreatedAt} and did not finish: " +
                    $"{unfinished.Finished} jobs already ended and are kept, {redriven} unfinished jobs are sent again" +
                    (publish ? $", and the file is submitted again for the {unfinished.NotYetReceived} it had not recorded" : "") +
                    ". Pass --new to start afresh instead.");
            }

            return await BatchRun.PublishAndFollowAsync(
                publish
                    ? new BatchPublisher(
                        host.Services.GetRequiredService<IBus>(),
                        priority,
                        tenant: tenant,
                        window: new LedgerPublishWindow(ledger, batchId, inFlight, resumed: unfinished is not null && !fresh, TimeProvider.System))
                    : null,
                ledger,
                file,
                lines,
                limits,
                batchId,
                output,
                timeout,
                ct,
                digest,
                window,
                metadata);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Ctrl+C or SIGTERM: the pipeline finishes or abandons what it holds within
            // Shutdown:GracePeriod; every job it took stays in the ledger.
            await host.StopAsync(CancellationToken.None);
            stopped = true;
            var status = await ledger.GetBatchStatusAsync(batchId, CancellationToken.None);
            AnsiConsole.WriteLine($"stopped; {lines - (status?.Finished ?? 0)} jobs unfinished. Run the same command again to resume the batch.");
            return ExitCodes.Interrupted;
        }
        finally
        {
            if (!stopped)
            {
                await host.StopAsync(CancellationToken.None);
            }
        }
    }
}
