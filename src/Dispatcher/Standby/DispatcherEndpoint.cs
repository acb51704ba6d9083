using Dispatcher.ServiceDefaults.Messaging;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dispatcher.Standby;

/// <summary>
/// What every dispatcher receive endpoint shares: single-active consumption, the takeover step,
/// and a message of a type the endpoint does not consume going to its error queue with a reason.
/// </summary>
internal static class DispatcherEndpoint
{
    /// <summary>Applies all three to an endpoint the dispatcher consumes from.</summary>
    public static void Configure(IReceiveEndpointConfigurator endpoint, IServiceProvider services)
    {
        endpoint.MoveUnconsumedToErrorQueue();
        endpoint.UseFilter(new ActivationFilter(services.GetRequiredService<DispatcherActivation>()));
        if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit
            && services.GetRequiredService<IOptions<StandbyOptions>>().Value.SingleActiveConsumer)
        {
            rabbit.SingleActiveConsumer = true;
        }
    }
}
