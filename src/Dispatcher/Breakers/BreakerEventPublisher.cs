using Dispatcher.Contracts;
using Dispatcher.Ledger;
using Dispatcher.ServiceDefaults.Messaging;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dispatcher.Breakers;

/// <summary>
/// Makes every breaker change visible: logged, recorded in the ledger (where <c>status</c>
/// reads it) and published as <see cref="DeploymentBreakerChanged"/>.
/// </summary>
public sealed class BreakerEventPublisher(
    DeploymentBreakers breakers,
    JobLedger ledger,
    IBus bus,
    TimeProvider time,
    ILogger<BreakerEventPublisher> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A restarted dispatcher starts with every breaker closed; the ledger says so too.
        foreach (var b in breakers.Current)
        {
            await SaveAsync(new BreakerRow(b.DeploymentId, Name(b.State), b.Reason, b.ChangedAt.ToString("O")), stoppingToken);
        }

        await foreach (var change in breakers.Changes.ReadAllAsync(stoppingToken))
        {
            var level = change.To == BreakerState.Open ? LogLevel.Warning : LogLevel.Information;
            logger.Log(level, "Breaker for {Deployment}: {From} → {To} ({Reason})", change.DeploymentId, change.From, change.To, change.Reason);
            await SaveAsync(new BreakerRow(change.DeploymentId, Name(change.To), change.Reason, change.ChangedAt.ToString("O")), stoppingToken);
            try
            {
                await bus.Publish(change, stoppingToken).ConfirmedWithin(time, $"the breaker change of {change.DeploymentId}", stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The change is logged and in the ledger; a broker outage must not stop the gate's reporting.
                logger.LogWarning(e, "Could not publish the breaker change of {Deployment}", change.DeploymentId);
            }
        }
    }

    // The ledger's row is what status shows. A ledger locked past its busy timeout must not end the
    // reporting for good (a failed background service stops the process): the change is logged and
    // published all the same, and the next change of the deployment is saved again.
    private async Task SaveAsync(BreakerRow row, CancellationToken ct)
    {
        try
        {
            await ledger.SaveBreakerAsync(row, ct);
        }
        catch (Exception e) when (TransientLedgerError.IsMatch(e))
        {
            logger.LogWarning("The breaker state of {Deployment} ({State}) was not saved in the ledger: {Error}", row.DeploymentId, row.State, e.Message);
        }
    }

    /// <summary>The state's name as the ledger and status show it.</summary>
    public static string Name(BreakerState state) => state switch
    {
        BreakerState.HalfOpen => "half-open",
        BreakerState.Open => "open",
        _ => "closed",
    };
}
