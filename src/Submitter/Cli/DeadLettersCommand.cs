using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Dispatcher.Contracts;
using Dispatcher.Ledger;
using Dispatcher.ServiceDefaults.Messaging;
using Dispatcher.Submitter.Hosting;
using Dispatcher.ResultFiles;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Dispatcher.Submitter.Cli;

/// <summary>
/// <c>dead-letters list</c> and <c>dead-letters replay</c>: the jobs that ended failed, with
/// their reason and attempt history, and running selected ones (or all of a batch) again
/// through the normal pipeline.
/// </summary>
internal static class DeadLettersCommand
{
    public static Command Create() => new("dead-letters", "List jobs that ended failed (dead-lettered) and replay them through the pipeline.")
    {
        List(),
        Replay(),
    };

    private static Command List()
    {
        var batch = new Option<string?>("--batch") { Description = "Only this batch's failed jobs." };
        var limit = new Option<int>("--limit") { Description = "At most this many jobs.", DefaultValueFactory = _ => 100 };
        var jsonl = new Option<bool>("--jsonl") { Description = "One JSON object per line (job id, custom id, error, message, attempts) instead of a table." };
        var config = CommonOptions.Config();
        var ledger = CommonOptions.Ledger();
        var command = new Command("list", "List failed jobs from the ledger, oldest failure first, with the reason and the deployments tried.")
        {
            batch, limit, jsonl, config, ledger,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var host = SubmitterHosts.LedgerOnly(parse.GetValue(config), parse.GetValue(ledger));
            await host.StartAsync(ct);
            var store = host.Services.GetRequiredService<JobLedger>();
            var jobs = await store.ListFailedJobsAsync(parse.GetValue(batch), parse.GetValue(limit), ct);
            var table = new Table().AddColumns("job id", "batch", "custom id", "error", "attempts", "tried", "message");
            foreach (var job in jobs)
            {
                var history = await store.GetAttemptsAsync(job.JobId, ct);
                var tried = string.Join(" → ", history.Select(a => $"{a.DeploymentId}:{a.ErrorKind}"));
                if (parse.GetValue(jsonl))
                {
                    Console.WriteLine(JsonSerializer.Serialize(new
                    {
                        job_id = job.JobId,
                        batch_id = job.BatchId,
                        custom_id = job.CustomId,
                        error = job.ErrorKind,
                        message = job.ErrorMessage,
                        attempts = job.Attempts,
                        history = history.Select(a => new { attempt = a.Attempt, deployment = a.DeploymentId, error = a.ErrorKind, status = a.StatusCode, message = a.Message }),
                    }));
                }
                else
                {
                    table.AddRow(
                        Markup.Escape(job.JobId),
                        Markup.Escape(job.BatchId ?? ""),
                        Markup.Escape(job.CustomId),
                        Markup.Escape(job.ErrorKind ?? ""),
                        $"{job.Attempts}",
                        Markup.Escape(tried),
                        Markup.Escape(job.ErrorMessage ?? ""));
                }
            }

            if (!parse.GetValue(jsonl))
            {
                AnsiConsole.Write(table);
                AnsiConsole.MarkupLine($"{jobs.Count} failed job(s){(jobs.Count == parse.GetValue(limit) ? " (limit reached; --limit shows more)" : "")}.");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Replay()
    {
        var batch = new Option<string?>("--batch") { Description = "Replay the failed jobs of this batch." };
        var jobs = new Option<string[]>("--job") { Description = "Replay these jobs (job ids, as 'list' shows them); repeatable.", AllowMultipleArgumentsPerToken = true };
        var all = new Option<bool>("--all") { Description = "Replay every failed job in the ledger." };
        var wait = new Option<bool>("--wait") { Description = "Wait until the replayed jobs end (always, on the embedded transport), then write the batch's results when --batch is given." };
        var timeout = new Option<TimeSpan>("--timeout") { Description = "Give up waiting after this long (hh:mm:ss).", DefaultValueFactory = _ => TimeSpan.FromHours(1) };
        var config = CommonOptions.Config();
        var ledger = CommonOptions.Ledger();
        var output = CommonOptions.Out();
        var command = new Command("replay", "Run failed jobs again through the normal pipeline, with a fresh allowance of attempts.")
        {
            batch, jobs, all, wait, timeout, config, ledger, output,
        };
        command.SetAction(async (parse, ct) =>
        {
            var batchId = parse.GetValue(batch);
            var ids = parse.GetValue(jobs) ?? [];
            if (batchId is null && ids.Length == 0 && !parse.GetValue(all))
            {
                await Console.Error.WriteLineAsync("error: say which jobs to replay: --batch BATCH, --job JOB_ID (repeatable) or --all.");
                return ExitCodes.InvalidInput;
            }

            var configFile = parse.GetValue(config);
            var configuration = SubmitterHosts.LoadConfiguration(configFile);
            var embedded = (configuration.GetSection(TransportOptions.Section).Get<TransportOptions>()?.Kind ?? TransportKind.InMemory) == TransportKind.InMemory;
            using var host = embedded
                ? SubmitterHosts.Embedded(configFile, parse.GetValue(ledger))
                : SubmitterHosts.ProducerWithLedger(configFile, parse.GetValue(ledger));
            await host.StartAsync(ct);
            try
            {
                var store = host.Services.GetRequiredService<JobLedger>();
                var selected = await SelectAsync(store, batchId, ids, ct);
                if (selected is null)
                {
                    return ExitCodes.InvalidInput;
                }

                // A job has ended its replay once the dispatcher has reopened it (its replay count
                // went up) and it has ended again; until then it still looks failed.
                var before = (await store.GetJobStatesAsync(selected, ct)).ToDictionary(j => j.JobId, j => j.Replays, StringComparer.Ordinal);
                var replays = await host.Services.GetRequiredService<IBus>().GetSendEndpoint(new Uri("exchange:" + QueueNames.Replays));
                foreach (var id in selected)
                {
                    await replays.Send(new ReplayCompletion(Guid.Parse(id)), ct);
                }

                AnsiConsole.MarkupLine($"Replaying {selected.Count} failed job(s).");
                if (!embedded && !parse.GetValue(wait))
                {
                    return ExitCodes.Ok;
                }

                return await FollowAsync(store, before, batchId, parse.GetRequiredValue(output), parse.GetValue(timeout), ct);
            }
            finally
            {
                await host.StopAsync(CancellationToken.None);
            }
        });
        return command;
    }

    private static async Task<IReadOnlyList<string>?> SelectAsync(JobLedger store, string? batchId, string[] ids, CancellationToken ct)
    {
        var selected = new List<string>();
        foreach (var id in ids)
        {
            var job = Guid.TryParse(id, out _) ? await store.GetJobAsync(id, ct) : null;
            if (job is null)
            {
                await Console.Error.WriteLineAsync($"error: --job {id}: no such job in the ledger {store.Location}. Nothing was replayed.");
                return null;
            }

            if (job.State != JobState.Failed)
            {
                await Console.Error.WriteLineAsync($"error: --job {id}: the job is {job.State}, not failed. Nothing was replayed.");
                return null;
            }

            selected.Add(id);
        }

        if (ids.Length == 0)
        {
            selected.AddRange((await store.ListFailedJobsAsync(batchId, int.MaxValue, ct)).Select(j => j.JobId));
        }

        return selected;
    }

    private static async Task<int> FollowAsync(JobLedger store, Dictionary<string, long> before, string? batchId, string output, TimeSpan timeout, CancellationToken ct)
    {
        var jobIds = before.Keys.ToArray();
        var clock = Stopwatch.StartNew();
        IReadOnlyList<(string JobId, string State, long Replays)> states;
        int left;
        do
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
            states = await store.GetJobStatesAsync(jobIds, ct);
            left = states.Count(j => j.Replays <= before[j.JobId] || !JobState.IsTerminal(j.State));
        }
        while (left > 0 && clock.Elapsed < timeout);

        if (left > 0)
        {
            AnsiConsole.MarkupLine($"[yellow]{left} of {jobIds.Length} replayed job(s) had not ended after {timeout}.[/]");
            return ExitCodes.TimedOut;
        }

        var failed = states.Count(j => j.State == JobState.Failed);
        AnsiConsole.MarkupLine($"Replayed {jobIds.Length} job(s) in {clock.Elapsed.TotalSeconds:0.0} s: {jobIds.Length - failed} succeeded, {failed} failed again.");
        if (batchId is not null)
        {
            var files = await new BatchResultWriter(store).WriteAsync(batchId, output, ct);
            AnsiConsole.MarkupLine($"Results: {Markup.Escape(files.OutputPath)} ({files.OutputLines} lines), errors: {Markup.Escape(files.ErrorPath)} ({files.ErrorLines} lines)");
        }

        return failed == 0 ? ExitCodes.Ok : ExitCodes.JobsFailed;
    }
}
