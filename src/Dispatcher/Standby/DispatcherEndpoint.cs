using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dispatcher.Standby;

/// <summary>What every dispatcher receive endpoint shares: single-active consumption and the takeover step.</summary>
internal static class DispatcherEndpoint
{
    /// <summary>Applies both to an endpoint the dispatcher consumes from.</summary>
    public static void Configure(IReceiveEndpointConfigurator endpoint, IServiceProvider services)
    {
        endpoint.UseFilter(new ActivationFilter(services.GetRequiredService<DispatcherActivation>()));
        if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit
            && services.GetRequiredService<IOptions<StandbyOptions>>().Value.SingleActiveConsumer)
        {
            rabbit.SingleActiveConsumer = true;
        }
    }
}
