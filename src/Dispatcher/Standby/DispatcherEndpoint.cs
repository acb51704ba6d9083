using Dispatcher.Ledger;
using Dispatcher.ServiceDefaults.Messaging;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dispatcher.Standby;

/// <summary>
/// What every dispatcher receive endpoint shares: single-active consumption, the takeover step,
/// a message of a type the endpoint does not consume going to its error queue with a reason, and
/// a message whose handling met a transient failure (the ledger busy, a send unconfirmed) tried
/// again before it goes there.
/// </summary>
internal static class DispatcherEndpoint
{
    /// <summary>Applies all four to an endpoint the dispatcher consumes from.</summary>
    public static void Configure(IReceiveEndpointConfigurator endpoint, IServiceProvider services)
    {
        endpoint.MoveUnconsumedToErrorQueue();
        endpoint.UseFilter(new ActivationFilter(services.GetRequiredService<DispatcherActivation>()));
        // Every consumer here recognises work a failed try already did: the ledger records a job
        // and an attempt's report once, and a delivery's sends are remembered (SentAttempts).
        endpoint.UseTransientMessageRetry(
            services.GetRequiredService<IOptions<MessageRetryOptions>>().Value,
            ex => TransientFailure.IsMatch(ex, TransientLedgerError.IsMatch));
        if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit
            && services.GetRequiredService<IOptions<StandbyOptions>>().Value.SingleActiveConsumer)
        {
            rabbit.SingleActiveConsumer = true;
        }
    }
}
