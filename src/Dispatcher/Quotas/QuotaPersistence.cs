using Dispatcher.Ledger;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dispatcher.Quotas;

/// <summary>
/// Carries bucket levels across restarts: restores them before the bus starts consuming, saves
/// them twice a second while running and once more on a clean stop. A crash loses at most the
/// last half second of consumption, never the whole window: a restarted dispatcher does not
/// hand out a fresh full burst.
/// </summary>
internal sealed class QuotaPersistence(QuotaBook quotas, SqliteLedger ledger, TimeProvider time, ILogger<QuotaPersistence> logger)
    : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var levels = await ledger.LoadQuotaLevelsAsync(cancellationToken);
        quotas.Restore(levels);
        if (levels.Count > 0)
        {
            logger.LogInformation("Restored quota levels of {Count} deployment(s) from the ledger", levels.Count);
        }

        await base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await ledger.SaveQuotaLevelsAsync(quotas.Levels(), cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            await ledger.SaveQuotaLevelsAsync(quotas.Levels(), stoppingToken);
        }
    }
}
