using System.CommandLine;
using Dispatcher.Ledger;
using Dispatcher.Batches;
using Dispatcher.Submitter.Hosting;
using Dispatcher.Submitter.Remote;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Dispatcher.Submitter.Cli;

/// <summary>
/// <c>submit FILE</c>: validates a JSONL batch, then publishes it to a running dispatcher
/// through the broker; prints the batch id. With <c>--wait</c>, follows it to the end and
/// writes its results.
/// </summary>
internal static class SubmitCommand
{
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
        var wait = new Option<bool>("--wait") { Description = "Follow the batch until every job ended, then write its results (needs the ledger file)." };
        var batchId = new Option<string?>("--batch-id") { Description = "Use this batch id instead of a new one (not with --dispatcher: the Batch API names its batches)." };
        var timeout = new Option<TimeSpan>("--timeout")
        {
            Description = "With --wait, give up after this long (hh:mm:ss).",
            DefaultValueFactory = _ => TimeSpan.FromHours(24),
        };
        var dispatcher = new Option<string?>("--dispatcher")
        {
            Description = "Submit through the Batch API of the dispatcher at this address (key in DISPATCHER_API_KEY) instead of the broker; " +
                "--wait then follows it through the API and downloads its results, with no access to the ledger file. --tenant and --priority go with the batch; the batch id is the dispatcher's.",
        };
        var command = new Command("submit", "Validate a JSONL batch file and publish its jobs to the dispatcher's intake queue.")
        {
            file, config, ledger, output, wait, batchId, timeout, priority, tenant, window, metadata, dispatcher,
        };
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetRequiredValue(file);
            var configFile = parse.GetValue(config);
            var configuration = SubmitterHosts.LoadConfiguration(configFile);
            if (parse.GetValue(dispatcher) is { } url)
            {
                if (parse.GetValue(batchId) is not null)
                {
                    // The Batch API names its batches itself; a batch id the user expects would silently differ.
                    await Console.Error.WriteLineAsync("error: --batch-id cannot be used with --dispatcher: the dispatcher's Batch API names the batch (its id is printed); nothing was sent.");
                    return ExitCodes.InvalidInput;
                }

                return await RemoteAsync(
                    path,
                    url,
                    configuration,
                    new RemoteSubmission(parse.GetValue(window), parse.GetValue(metadata), parse.GetValue(tenant), parse.GetValue(priority)),
                    parse.GetValue(wait),
                    parse.GetRequiredValue(output),
                    parse.GetValue(timeout),
                    ct);
            }

            if (!BrokerRequirement.Check(configuration, "submit"))
            {
                return ExitCodes.InvalidInput;
            }

            if (await BatchFileCheck.ValidateAsync(path, configuration, ct) is not (var limits, var lines))
            {
                return ExitCodes.InvalidInput;
            }

            if (await IntakeCheck.ProblemAsync(configuration, ct) is { } problem)
            {
                await Console.Error.WriteLineAsync("error: " + problem);
                return ExitCodes.Failed;
            }

            var id = parse.GetValue(batchId) ?? "batch_" + NewId.NextGuid().ToString("N");
            using var bus = SubmitterHosts.Producer(configFile);
            await bus.StartAsync(ct);
            try
            {
                var publisher = new BatchPublisher(bus.Services.GetRequiredService<IBus>(), parse.GetValue(priority), tenant: parse.GetValue(tenant));
                if (!parse.GetValue(wait))
                {
                    await AnsiConsole.Progress().StartAsync(async ctx =>
                    {
                        var task = ctx.AddTask("submitted", maxValue: lines);
                        await publisher.PublishAsync(
                            path.FullName, id, lines, limits, new Progress<int>(n => task.Value = n), ct, completionWindow: parse.GetValue(window), metadata: parse.GetValue(metadata));
                    });
                    Console.WriteLine(id);
                    return ExitCodes.Ok;
                }

                using var ledgerHost = SubmitterHosts.LedgerOnly(configFile, parse.GetValue(ledger));
                await ledgerHost.StartAsync(ct);
                return await BatchRun.PublishAndFollowAsync(
                    publisher,
                    ledgerHost.Services.GetRequiredService<JobLedger>(),
                    path,
                    lines,
                    limits,
                    id,
                    parse.GetRequiredValue(output),
                    parse.GetValue(timeout),
                    ct,
                    completionWindow: parse.GetValue(window),
                    metadata: parse.GetValue(metadata));
            }
            finally
            {
                await bus.StopAsync(CancellationToken.None);
            }
        });
        return command;
    }

    private static async Task<int> RemoteAsync(
        FileInfo path,
        string url,
        Microsoft.Extensions.Configuration.IConfiguration configuration,
        RemoteSubmission submission,
        bool wait,
        string folder,
        TimeSpan timeout,
        CancellationToken ct)
    {
        using var api = BatchApiClient.TryCreate(url, configuration, out var problem);
        if (api is null)
        {
            await Console.Error.WriteLineAsync("error: " + problem);
            return ExitCodes.InvalidInput;
        }

        // Checked here first, so a bad file is reported as for any submit, before it is sent.
        if (await BatchFileCheck.ValidateAsync(path, configuration, ct) is null)
        {
            return ExitCodes.InvalidInput;
        }

        System.Text.Json.JsonElement batch;
        try
        {
            var fileId = await api.UploadAsync(path, ct);
            // The Batch API names a window always; no --completion-window is its default, 24h.
            var windowText = submission.CompletionWindow is { } w ? $"{(long)Math.Ceiling(w.TotalSeconds)}s" : "24h";
            batch = await api.CreateBatchAsync(
                fileId, Contracts.Endpoints.ChatCompletions, windowText, submission.Metadata, submission.Tenant, submission.Priority, ct);
        }
        catch (BatchApiException e)
        {
            await Console.Error.WriteLineAsync($"error: the dispatcher refused the batch ({(int)e.Status}): {e.Message}");
            return e.Status == System.Net.HttpStatusCode.BadRequest ? ExitCodes.InvalidInput : ExitCodes.Failed;
        }

        var id = batch.GetProperty("id").GetString()!;
        if (batch.GetProperty("status").GetString() == BatchState.Failed)
        {
            await Console.Error.WriteLineAsync($"error: {path.FullName} was rejected by the dispatcher's catalog; nothing was published.");
            RemoteBatch.PrintErrors(batch);
            return ExitCodes.InvalidInput;
        }

        if (!wait)
        {
            Console.WriteLine(id);
            return ExitCodes.Ok;
        }

        try
        {
            var ended = await RemoteBatch.FollowAsync(api, id, timeout, ct);
            if (ended is { } done && RemoteBatch.ExitCode(done) != ExitCodes.TimedOut)
            {
                await RemoteBatch.WriteResultsAsync(api, done, folder, ct);
            }

            return RemoteBatch.ExitCode(ended);
        }
        catch (BatchApiException e)
        {
            await Console.Error.WriteLineAsync($"error: the dispatcher refused ({(int)e.Status}): {e.Message}");
            return ExitCodes.Failed;
        }
    }
}
