using Dispatcher.Standby;
using Dispatcher.Messaging;
using MassTransit;

namespace Dispatcher.Consumers;

/// <summary>The batch announcement endpoint.</summary>
public sealed class SubmitBatchConsumerDefinition : ConsumerDefinition<SubmitBatchConsumer>
{
    /// <summary>The queue batch announcements are sent to.</summary>
    public const string Queue = "dispatcher-batches";

    /// <summary>Names the endpoint.</summary>
    public SubmitBatchConsumerDefinition()
    {
        EndpointName = Queue;
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
