using System.CommandLine;
using Dispatcher.Ledger;
using Dispatcher.Submitter.Batches;
using Dispatcher.Submitter.Hosting;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

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
        try
        {
            return await BatchRun.PublishAndFollowAsync(
                host.Services.GetRequiredService<IBus>(),
                host.Services.GetRequiredService<SqliteLedger>(),
                file,
                lines.Value,
                limits,
                "batch_" + NewId.NextGuid().ToString("N"),
                output,
                timeout,
                priority,
                ct);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }
}
