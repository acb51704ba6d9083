using Dispatcher.Contracts;
using Dispatcher.Standby;
using MassTransit;

namespace Dispatcher.Consumers;

/// <summary>The batch announcement endpoint.</summary>
public sealed class SubmitBatchConsumerDefinition : ConsumerDefinition<SubmitBatchConsumer>
{
    /// <summary>Names the endpoint.</summary>
    public SubmitBatchConsumerDefinition()
    {
        EndpointName = QueueNames.Batches;
        ConcurrentMessageLimit = 4;
    }

    /// <inheritdoc />
    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<SubmitBatchConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        DispatcherEndpoint.Configure(endpointConfigurator, context);
    }
}
