using System.CommandLine;
using Dispatcher.Ledger;
using Dispatcher.Submitter.Hosting;
using Dispatcher.ResultFiles;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatcher.Submitter.Cli;

/// <summary><c>results BATCH</c>: writes a batch's OpenAI Batch output JSONL and error JSONL from the ledger.</summary>
internal static class ResultsCommand
{
    public static Command Create()
    {
        var batch = new Argument<string>("batch") { Description = "The batch id." };
        var config = CommonOptions.Config();
        var ledger = CommonOptions.Ledger();
        var output = CommonOptions.Out();
        var command = new Command("results", "Write a batch's results as OpenAI Batch output JSONL and a separate error JSONL.") { batch, config, ledger, output };
        command.SetAction(async (parse, ct) =>
        {
            using var host = SubmitterHosts.LedgerOnly(parse.GetValue(config), parse.GetValue(ledger));
            await host.StartAsync(ct);
            var store = host.Services.GetRequiredService<SqliteLedger>();
            var id = parse.GetRequiredValue(batch);
            var status = await store.GetBatchStatusAsync(id, ct);
            if (status is null)
            {
                await Console.Error.WriteLineAsync($"error: batch '{id}' is not in the ledger {store.FilePath}");
                return ExitCodes.InvalidInput;
            }

            var files = await new BatchResultWriter(store).WriteAsync(id, parse.GetRequiredValue(output), ct);
            Console.WriteLine($"{files.OutputPath}\t{files.OutputLines} lines");
            Console.WriteLine($"{files.ErrorPath}\t{files.ErrorLines} lines");
            if (!status.IsEnded)
            {
                await Console.Error.WriteLineAsync($"note: the batch is {status.State} ({status.Finished} of {status.TotalJobs} jobs ended); the files hold the jobs ended so far.");
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
