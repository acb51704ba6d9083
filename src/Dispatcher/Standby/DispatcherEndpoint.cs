using Dispatcher.Contracts;
using Dispatcher.Ledger;
using Dispatcher.ServiceDefaults.Messaging;
using MassTransit;
using MassTransit.Middleware;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dispatcher.Standby;

/// <summary>
/// What every dispatcher receive endpoint shares: single-active consumption, the takeover step,
/// a message of a type the endpoint does not consume going to its error queue with a reason, and
/// a message whose handling met a transient failure (the ledger busy, a send unconfirmed) tried
/// again before it goes there. With several shares (<see cref="StandbyOptions.Shares"/>) only a
/// share's own queues are single-active and taken over, per share, and a message of a share this
/// process lost goes back to its queue; the intake, batch announcements and replays are consumed by
/// every dispatcher at once, and batch commands by one at a time, in order.
/// </summary>
internal static class DispatcherEndpoint
{
    /// <summary>Applies all four to an endpoint the dispatcher consumes from.</summary>
    public static void Configure(IReceiveEndpointConfigurator endpoint, IServiceProvider services)
    {
        var shares = services.GetRequiredService<DispatchShares>();
        var queue = ReceiveEndpointWatchdog.QueueOf(endpoint.InputAddress);
        int? share = shares.Split ? DispatchShares.ShareOfQueue(queue) : 0;
        endpoint.MoveUnconsumedToErrorQueue();
        if (share is { } owned)
        {
            endpoint.UseFilter(new ActivationFilter(services.GetRequiredService<DispatcherActivation>(), owned));
            if (shares.Split)
            {
                endpoint.ConfigureError(pipe =>
                {
                    pipe.UseFilter(new ShareLostFilter());
                    pipe.UseFilter(new GenerateFaultFilter());
                    pipe.UseFilter(new ErrorTransportFilter());
                });
            }
        }

        // Every consumer here recognises work a failed try already did: the ledger records a job
        // and an attempt's report once, and a delivery's sends are remembered (SentAttempts).
        endpoint.UseTransientMessageRetry(
            services.GetRequiredService<IOptions<MessageRetryOptions>>().Value,
            ex => TransientFailure.IsMatch(ex, TransientLedgerError.IsMatch));
        // Commands on a batch apply in the order they were sent: one dispatcher takes them all,
        // whatever the shares (they act on the batch's jobs in every share through the ledger).
        if ((share is not null || queue == QueueNames.BatchControl)
            && endpoint is IRabbitMqReceiveEndpointConfigurator rabbit
            && services.GetRequiredService<IOptions<StandbyOptions>>().Value.SingleActiveConsumer)
        {
            rabbit.SingleActiveConsumer = true;
        }
    }
}
