using System.Diagnostics;
using Dispatcher.Ledger;
using Dispatcher.Quotas;
using Spectre.Console;

namespace Dispatcher.Submitter.Cli;

/// <summary>
/// Follows a batch in the ledger until it has ended (every job ended, or it was cancelled or
/// expired and nothing of it is under way any more): a live progress bar on a terminal,
/// a plain line per second when output is redirected (CI logs, files); both name any deployment
/// a provider has paused (<see cref="ProgressText"/>).
/// </summary>
internal static class BatchProgress
{
    // Wall time, only to tell whether a pause the ledger holds has ended.
    private static readonly TimeProvider Time = TimeProvider.System;

    /// <summary>
    /// Polls until the batch ends or <paramref name="timeout"/> passes; returns the last status,
    /// read in full (tokens and cost) once following ended.
    /// </summary>
    public static async Task<BatchStatus?> FollowAsync(
        JobLedger ledger,
        string batchId,
        int totalJobs,
        Func<IProgress<int>, Task>? submit,
        TimeSpan timeout,
        CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        if (AnsiConsole.Profile.Capabilities.Interactive)
        {
            BatchStatus? last = null;
            await AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async ctx =>
                {
                    var sent = ctx.AddTask("submitted", maxValue: totalJobs);
                    var done = ctx.AddTask("finished", maxValue: totalJobs);
                    var submitting = submit is null ? Task.CompletedTask : submit(new Progress<int>(n => sent.Value = n));
                    if (submit is null)
                    {
                        sent.Value = totalJobs;
                    }

                    last = await PollAsync(ledger, batchId, timeout, clock, ct, (s, pauses) =>
                    {
                        done.Value = s.Finished;
                        // The description is markup: a deployment's id is shown as it is.
                        done.Description = Markup.Escape(ProgressText.Finished(s, pauses, Time.GetUtcNow(), TimeZoneInfo.Local));
                    }, submitting);
                    sent.Value = totalJobs;
                });
            return last;
        }

        var lastPrint = TimeSpan.Zero;
        var submitted = 0;
        var task = submit is null ? Task.CompletedTask : submit(new Progress<int>(n => Volatile.Write(ref submitted, n)));
        return await PollAsync(ledger, batchId, timeout, clock, ct, (s, pauses) =>
        {
            if (clock.Elapsed - lastPrint < TimeSpan.FromSeconds(1) && !s.IsEnded)
            {
                return;
            }

            lastPrint = clock.Elapsed;
            Console.WriteLine(ProgressText.Line(
                clock.Elapsed, submit is null ? totalJobs : Volatile.Read(ref submitted), totalJobs, s, pauses, Time.GetUtcNow(), TimeZoneInfo.Local));
        }, task);
    }

    private static async Task<BatchStatus?> PollAsync(
        JobLedger ledger,
        string batchId,
        TimeSpan timeout,
        Stopwatch clock,
        CancellationToken ct,
        Action<BatchStatus, IReadOnlyList<DeploymentPause>> show,
        Task submitting)
    {
        BatchStatus? status = null;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        while (clock.Elapsed < timeout)
        {
            if (submitting.IsFaulted)
            {
                await submitting;
            }

            // The counts alone: a full status reads every job's row, too slow to repeat on a long batch.
            status = await ledger.GetBatchCountsAsync(batchId, ct);
            if (status is not null)
            {
                // A provider's pause, as the dispatcher saved it, says why progress stands still.
                show(status, status.IsEnded ? [] : await ledger.ListPausesAsync(Time.GetUtcNow(), ct));
                if (status.IsEnded)
                {
                    break;
                }
            }

            await timer.WaitForNextTickAsync(ct);
        }

        await submitting;
        return await ledger.GetBatchStatusAsync(batchId, ct) ?? status;
    }
}
