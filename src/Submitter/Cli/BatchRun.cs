using System.Diagnostics;
using Dispatcher.Ledger;
using Dispatcher.Batches;
using Dispatcher.ResultFiles;
using MassTransit;
using Spectre.Console;

namespace Dispatcher.Submitter.Cli;

/// <summary>
/// Publishes a validated batch file and follows it to the end (every job ended, or the batch was
/// cancelled or expired and nothing of it is under way): progress while it runs, then the results
/// files and the summary. Shared by <c>run</c> (embedded) and <c>submit --wait</c>.
/// </summary>
internal static class BatchRun
{
    /// <summary>
    /// Publishes the file through <paramref name="publisher"/> (none: its jobs were all recorded
    /// already, as when a run resumes) and follows batch <paramref name="batchId"/> to its end.
    /// </summary>
    public static async Task<int> PublishAndFollowAsync(
        BatchPublisher? publisher,
        JobLedger ledger,
        FileInfo file,
        int lines,
        BatchFileLimits limits,
        string batchId,
        string outputFolder,
        TimeSpan timeout,
        CancellationToken ct,
        string? digest = null,
        TimeSpan? completionWindow = null,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        AnsiConsole.MarkupLine($"Batch [bold]{batchId}[/]: {lines} jobs from {Markup.Escape(file.Name)}; ledger {Markup.Escape(ledger.Location)}");
        var clock = Stopwatch.StartNew();

        // A publisher paced by the batch's progress waits while it stands still (a paused batch):
        // it gives up when following does. One that is not finishes the file whatever the wait.
        using var publishing = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (publisher is { IsPaced: true })
        {
            publishing.CancelAfter(timeout);
        }

        var status = await BatchProgress.FollowAsync(
            ledger,
            batchId,
            lines,
            publisher is null ? null : progress => PublishAsync(publisher, file, lines, limits, batchId, progress, digest, completionWindow, metadata, publishing.Token, ct),
            timeout,
            ct);
        clock.Stop();

        var files = await new BatchResultWriter(ledger).WriteAsync(batchId, outputFolder, ct);
        await BatchSummary.PrintAsync(ledger, batchId, status, files, clock.Elapsed, ct);
        return status switch
        {
            { IsEnded: false } or null => ExitCodes.TimedOut,
            // A cancelled or expired batch did not do all it was asked, even when every job it ran succeeded.
            { Failed: > 0 } or { State: BatchState.Cancelled or BatchState.Expired } => ExitCodes.JobsFailed,
            _ => ExitCodes.Ok,
        };
    }

    private static async Task PublishAsync(
        BatchPublisher publisher,
        FileInfo file,
        int lines,
        BatchFileLimits limits,
        string batchId,
        IProgress<int> progress,
        string? digest,
        TimeSpan? completionWindow,
        IReadOnlyDictionary<string, string>? metadata,
        CancellationToken publishing,
        CancellationToken ct)
    {
        try
        {
            await publisher.PublishAsync(file.FullName, batchId, lines, limits, progress, publishing, digest, completionWindow, metadata);
        }
        catch (OperationCanceledException) when (publishing.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            // The wait for the batch timed out: what was published stays in the ledger, and the
            // same run again submits the rest.
        }
    }
}
