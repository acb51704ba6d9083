using MassTransit;
using MassTransit.RabbitMqTransport.Configuration;

namespace Dispatcher.ServiceDefaults.Messaging;

/// <summary>
/// Makes every durable receive endpoint of the bus a queue of the configured
/// <see cref="RabbitMqOptions.QueueType"/>, whichever module declared it. It sees an endpoint after
/// the endpoint's own configuration, so it also undoes a priority set there (quorum queues take no
/// <c>x-max-priority</c>); MassTransit declares an endpoint's <c>_error</c> and <c>_skipped</c>
/// queues with the endpoint's arguments, so they follow. Temporary queues (auto-delete or
/// exclusive, such as a CLI's own results queue) stay classic: a quorum queue can be neither.
/// </summary>
internal sealed class QueueTypeEndpointObserver(RabbitMqQueueType queueType) : IEndpointConfigurationObserver
{
    /// <inheritdoc />
    public void EndpointConfigured<T>(T configurator)
        where T : IReceiveEndpointConfigurator
    {
        // The configurator's own properties cannot be read back; its settings can.
        if (configurator is IRabbitMqReceiveEndpointConfigurator rabbit
            && configurator is IRabbitMqReceiveEndpointConfiguration { Settings: var settings }
            && RabbitMqQueueArguments.IsQuorum(queueType, settings.Durable, settings.AutoDelete, settings.Exclusive))
        {
            rabbit.SetQuorumQueue();
        }
    }
}
