using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dispatcher.BatchApi;

/// <summary>
/// Deletes the Files API's expired files (bytes and record) every <see cref="BatchApiOptions.FileSweepInterval"/>,
/// at most <see cref="MaxPerPass"/> a pass, so a pass over a folder of many expired files stays
/// short and the rest go in the next. An expired file is already gone to every caller
/// (<see cref="FileStore.GetAsync"/>); the sweep only gives its space back.
/// </summary>
internal sealed class FileExpirySweep(FileStore files, IOptions<BatchApiOptions> options, TimeProvider time, ILogger<FileExpirySweep> logger) : BackgroundService
{
    /// <summary>The most files one pass deletes.</summary>
    public const int MaxPerPass = 1000;

    /// <summary>One pass: deletes up to <see cref="MaxPerPass"/> expired files; returns how many.</summary>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        var deleted = await files.DeleteExpiredAsync(MaxPerPass, ct);
        if (deleted > 0)
        {
            logger.LogInformation("Deleted {Count} expired files of the Batch API", deleted);
        }

        return deleted;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.FileSweepInterval, time);
        try
        {
            do
            {
                try
                {
                    await SweepAsync(stoppingToken);
                }
                catch (Exception e) when (e is IOException or System.Data.Common.DbException)
                {
                    // A file another process sharing the folder deletes at the same moment, a full
                    // disk, or the ledger's database out of reach for a moment: the next pass tries again.
                    logger.LogWarning(e, "Sweeping the Batch API's expired files failed; the next pass tries again");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
