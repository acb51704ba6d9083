using System.Diagnostics;
using Dispatcher.Ledger;
using Spectre.Console;

namespace Dispatcher.Submitter.Cli;

/// <summary>
/// Follows a batch in the ledger until every job has ended: a live progress bar on a terminal,
/// a plain line per second when output is redirected (CI logs, files).
/// </summary>
internal static class BatchProgress
{
    /// <summary>Polls until the batch completes or <paramref name="timeout"/> passes; returns the last status.</summary>
    public static async Task<BatchStatus?> FollowAsync(
        SqliteLedger ledger,
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
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
                .StartAsync(async ctx =>
                {
                    var sent = ctx.AddTask("submitted", maxValue: totalJobs);
                    var done = ctx.AddTask("finished", maxValue: totalJobs);
                    var submitting = submit is null ? Task.CompletedTask : submit(new Progress<int>(n => sent.Value = n));
                    if (submit is null)
                    {
                        sent.Value = totalJobs;
                    }

                    last = await PollAsync(ledger, batchId, timeout, clock, ct, s =>
                    {
                        done.Value = s.Finished;
                        done.Description = $"finished ({s.Succeeded} ok, {s.Failed} failed, {s.Dispatched} in flight)";
                    }, submitting);
                    sent.Value = totalJobs;
                });
            return last;
        }

        var lastPrint = TimeSpan.Zero;
        var submitted = 0;
        var task = submit is null ? Task.CompletedTask : submit(new Progress<int>(n => Volatile.Write(ref submitted, n)));
        return await PollAsync(ledger, batchId, timeout, clock, ct, s =>
        {
            if (clock.Elapsed - lastPrint < TimeSpan.FromSeconds(1) && !s.IsComplete)
            {
                return;
            }

            lastPrint = clock.Elapsed;
            var rate = s.Finished / Math.Max(0.001, clock.Elapsed.TotalSeconds);
            Console.WriteLine(
                $"[{clock.Elapsed:mm\\:ss}] submitted {(submit is null ? totalJobs : Volatile.Read(ref submitted))}/{totalJobs}  " +
                $"finished {s.Finished}/{totalJobs} ({s.Succeeded} ok, {s.Failed} failed, {s.Dispatched} in flight)  {rate:F0} jobs/s");
        }, task);
    }

    private static async Task<BatchStatus?> PollAsync(
        SqliteLedger ledger,
        string batchId,
        TimeSpan timeout,
        Stopwatch clock,
        CancellationToken ct,
        Action<BatchStatus> show,
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

            status = await ledger.GetBatchStatusAsync(batchId, ct);
            if (status is not null)
            {
                show(status);
                if (status.IsComplete)
                {
                    break;
                }
            }

            await timer.WaitForNextTickAsync(ct);
        }

        await submitting;
        return status;
    }
}
