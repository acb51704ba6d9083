using System.CommandLine;
using System.Diagnostics;
using Dispatcher.Ledger;
using Dispatcher.Submitter.Batches;
using Dispatcher.Submitter.Hosting;
using Dispatcher.Submitter.Results;
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
        var timeout = new Option<TimeSpan>("--timeout")
        {
            Description = "Give up waiting for the batch after this long (hh:mm:ss).",
            DefaultValueFactory = _ => TimeSpan.FromHours(1),
        };
        var command = new Command("run", "Run a JSONL batch end to end in this process (embedded dispatcher and workers) and write its results.")
        {
            file, config, ledger, output, timeout,
        };
        command.SetAction((parse, ct) => RunAsync(
            parse.GetRequiredValue(file),
            parse.GetValue(config),
            parse.GetValue(ledger),
            parse.GetRequiredValue(output),
            parse.GetValue(timeout),
            ct));
        return command;
    }

    private static async Task<int> RunAsync(FileInfo file, string? config, string? ledgerPath, string output, TimeSpan timeout, CancellationToken ct)
    {
        var limits = new BatchFileLimits();
        var lines = await BatchFileCheck.ValidateAsync(file, limits, ct);
        if (lines is null)
        {
            return ExitCodes.InvalidInput;
        }

        using var host = SubmitterHosts.Embedded(config, ledgerPath);
        await host.StartAsync(ct);
        try
        {
            var ledger = host.Services.GetRequiredService<SqliteLedger>();
            var batchId = "batch_" + NewId.NextGuid().ToString("N");
            AnsiConsole.MarkupLine($"Batch [bold]{batchId}[/]: {lines} jobs from {Markup.Escape(file.Name)}; ledger {Markup.Escape(ledger.FilePath)}");
            var clock = Stopwatch.StartNew();
            var publisher = new BatchPublisher(host.Services.GetRequiredService<IBus>());
            var status = await BatchProgress.FollowAsync(
                ledger,
                batchId,
                lines.Value,
                progress => publisher.PublishAsync(file.FullName, batchId, lines.Value, limits, progress, ct),
                timeout,
                ct);
            clock.Stop();

            var files = await new BatchResultWriter(ledger).WriteAsync(batchId, output, ct);
            await BatchSummary.PrintAsync(ledger, batchId, status, files, clock.Elapsed, ct);
            return status is { IsComplete: true } ? ExitCodes.Ok : ExitCodes.TimedOut;
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }
}
