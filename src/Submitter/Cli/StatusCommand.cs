using System.CommandLine;
using Dispatcher.Ledger;
using Dispatcher.Submitter.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Dispatcher.Submitter.Cli;

/// <summary><c>status [BATCH]</c>: a batch's jobs counted by state, or the recent batches, from the ledger.</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var batch = new Argument<string?>("batch") { Description = "The batch id; omit to list recent batches.", Arity = ArgumentArity.ZeroOrOne };
        var config = CommonOptions.Config();
        var ledger = CommonOptions.Ledger();
        var command = new Command("status", "Show a batch's progress (jobs by state, tokens, cost) from the ledger.") { batch, config, ledger };
        command.SetAction(async (parse, ct) =>
        {
            using var host = SubmitterHosts.LedgerOnly(parse.GetValue(config), parse.GetValue(ledger));
            await host.StartAsync(ct);
            var store = host.Services.GetRequiredService<SqliteLedger>();
            var id = parse.GetValue(batch);
            IReadOnlyList<BatchStatus> rows;
            if (id is null)
            {
                rows = await store.ListBatchesAsync(20, ct);
            }
            else
            {
                var one = await store.GetBatchStatusAsync(id, ct);
                if (one is null)
                {
                    await Console.Error.WriteLineAsync($"error: batch '{id}' is not in the ledger {store.FilePath}");
                    return ExitCodes.InvalidInput;
                }

                rows = [one];
            }

            var table = new Table()
                .AddColumns("batch", "source", "total", "not yet received", "queued", "in flight", "succeeded", "failed", "cost", "status");
            foreach (var s in rows)
            {
                table.AddRow(
                    Markup.Escape(s.BatchId),
                    Markup.Escape(s.Source ?? ""),
                    $"{s.TotalJobs}",
                    $"{s.NotYetReceived}",
                    $"{s.Queued}",
                    $"{s.Dispatched}",
                    $"{s.Succeeded}",
                    $"{s.Failed}",
                    $"{s.Cost:F6}",
                    s.IsComplete ? "[green]complete[/]" : "running");
            }

            AnsiConsole.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }
}
