using System.CommandLine;
using Dispatcher.Ledger;
using Dispatcher.Submitter.Batches;
using Dispatcher.Submitter.Hosting;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Dispatcher.Submitter.Cli;

/// <summary>
/// <c>run FILE</c>: the whole pipeline in this process on the embedded default (in-memory
/// transport, SQLite ledger, the catalog's providers), with live progress, ending with the
/// results files and a summary.
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var file = CommonOptions.BatchFile();
        var config = CommonOptions.Config();
        var ledger = CommonOptions.Ledger();
        var output = CommonOptions.Out();
        var priority = CommonOptions.Priority();
        var timeout = new Option<TimeSpan>("--timeout")
        {
            Description = "Give up waiting for the batch after this long (hh:mm:ss).",
            DefaultValueFactory = _ => TimeSpan.FromHours(1),
        };
        var command = new Command("run", "Run a JSONL batch end to end in this process (embedded dispatcher and workers) and write its results.")
        {
            file, config, ledger, output, timeout, priority,
        };
        command.SetAction((parse, ct) => RunAsync(
            parse.GetRequiredValue(file),
            parse.GetValue(config),
            parse.GetValue(ledger),
            parse.GetRequiredValue(output),
            parse.GetValue(timeout),
            parse.GetValue(priority),
            ct));
        return command;
    }

    private static async Task<int> RunAsync(FileInfo file, string? config, string? ledgerPath, string output, TimeSpan timeout, int priority, CancellationToken ct)
    {
        var limits = new BatchFileLimits();
        var lines = await BatchFileCheck.ValidateAsync(file, limits, ct);
        if (lines is null)
        {
            return ExitCodes.InvalidInput;
        }

        using var host = SubmitterHosts.Embedded(config, ledgerPath);
        await host.StartAsync(ct);
        var ledger = host.Services.GetRequiredService<SqliteLedger>();
        var batchId = "batch_" + NewId.NextGuid().ToString("N");
        var stopped = false;
        try
        {
            return await BatchRun.PublishAndFollowAsync(
                host.Services.GetRequiredService<IBus>(),
                ledger,
                file,
                lines.Value,
                limits,
                batchId,
                output,
                timeout,
                priority,
                ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Ctrl+C or SIGTERM: the pipeline finishes or abandons what it holds within
            // Shutdown:GracePeriod; every job it took stays in the ledger.
            await host.StopAsync(CancellationToken.None);
            stopped = true;
            var status = await ledger.GetBatchStatusAsync(batchId, CancellationToken.None);
            var unfinished = lines.Value - (status?.Finished ?? 0);
            AnsiConsole.WriteLine($"stopped; {unfinished} jobs unfinished");
            return ExitCodes.Ok;
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
