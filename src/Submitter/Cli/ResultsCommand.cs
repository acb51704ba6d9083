using System.CommandLine;
using Dispatcher.Ledger;
using Dispatcher.Submitter.Hosting;
using Dispatcher.Submitter.Remote;
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
        var dispatcher = new Option<string?>("--dispatcher")
        {
            Description = "Download the files from the dispatcher at this address through its Batch API (key in DISPATCHER_API_KEY) instead of writing them from the ledger file.",
        };
        var command = new Command("results", "Write a batch's results as OpenAI Batch output JSONL and a separate error JSONL.") { batch, config, ledger, output, dispatcher };
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(dispatcher) is { } url)
            {
                try
                {
                    return await RemoteAsync(parse.GetRequiredValue(batch), url, SubmitterHosts.LoadConfiguration(parse.GetValue(config)), parse.GetRequiredValue(output), ct);
                }
                catch (BatchApiException e)
                {
                    await Console.Error.WriteLineAsync($"error: the dispatcher refused ({(int)e.Status}): {e.Message}");
                    return ExitCodes.Failed;
                }
            }

            using var host = SubmitterHosts.LedgerOnly(parse.GetValue(config), parse.GetValue(ledger));
            await host.StartAsync(ct);
            var store = host.Services.GetRequiredService<JobLedger>();
            var id = parse.GetRequiredValue(batch);
            var status = await store.GetBatchStatusAsync(id, ct);
            if (status is null)
            {
                await Console.Error.WriteLineAsync($"error: batch '{id}' is not in the ledger {store.Location}");
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

    private static async Task<int> RemoteAsync(string batchId, string url, Microsoft.Extensions.Configuration.IConfiguration configuration, string folder, CancellationToken ct)
    {
        using var api = BatchApiClient.TryCreate(url, configuration, out var problem);
        if (api is null)
        {
            await Console.Error.WriteLineAsync("error: " + problem);
            return ExitCodes.InvalidInput;
        }

        if (await api.GetBatchAsync(batchId, ct) is not { } found)
        {
            await Console.Error.WriteLineAsync($"error: batch '{batchId}' is not known to the dispatcher at {url}");
            return ExitCodes.InvalidInput;
        }

        if (found.GetProperty("status").GetString() is BatchState.Failed)
        {
            await Console.Error.WriteLineAsync($"error: batch {batchId} failed: its file was rejected, it has no results.");
            RemoteBatch.PrintErrors(found);
            return ExitCodes.InvalidInput;
        }

        if (found.GetProperty("finalizing_at").ValueKind == System.Text.Json.JsonValueKind.Null)
        {
            await Console.Error.WriteLineAsync($"note: {RemoteBatch.Describe(found)}; the dispatcher writes its files when it ends.");
            return ExitCodes.Failed;
        }

        await RemoteBatch.WriteResultsAsync(api, found, folder, ct);
        return ExitCodes.Ok;
    }
}
