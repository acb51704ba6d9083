using Dispatcher.Contracts;
using Dispatcher.Standby;
using MassTransit;

namespace Dispatcher.Consumers;

/// <summary>
/// The batch control endpoint. One command at a time, so commands on a batch apply in the order
/// they were sent; single-active on RabbitMQ like the dispatcher's other queues.
/// </summary>
internal sealed class BatchCommandConsumerDefinition : ConsumerDefinition<BatchCommandConsumer>
{
    /// <summary>Names the endpoint and sets its concurrency.</summary>
    public BatchCommandConsumerDefinition()
    {
        EndpointName = QueueNames.BatchControl;
        ConcurrentMessageLimit = 1;
    }

    /// <inheritdoc />
    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<BatchCommandConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = 4;
        DispatcherEndpoint.Configure(endpointConfigurator, context);
    }
}
