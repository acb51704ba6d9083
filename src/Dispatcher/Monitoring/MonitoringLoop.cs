using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dispatcher.Monitoring;

/// <summary>
/// Every refresh interval: reads the queue depths, then takes a status snapshot into the
/// history. A failed reading is logged and the previous one kept; the loop carries on.
/// </summary>
public sealed class MonitoringLoop(
    QueueDepthMonitor depths,
    StatusSnapshotBuilder builder,
    StatusHistory history,
    IOptions<MonitoringOptions> options,
    TimeProvider time,
    ILogger<MonitoringLoop> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.RefreshInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            await RefreshOnceAsync(stoppingToken);
            try
            {
                await Task.Delay(interval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One reading of depths and one snapshot.</summary>
    public async Task RefreshOnceAsync(CancellationToken ct)
    {
        try
        {
            await depths.RefreshAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogWarning(e, "queue depths could not be read; keeping the previous reading");
        }

        try
        {
            history.Add(await builder.BuildAsync(history.Latest, ct));
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogWarning(e, "status snapshot failed");
        }
    }
}
