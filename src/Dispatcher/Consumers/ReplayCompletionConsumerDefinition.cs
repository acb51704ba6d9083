using Dispatcher.Contracts;
using Dispatcher.Standby;
using MassTransit;

namespace Dispatcher.Consumers;

/// <summary>The endpoint replay requests are sent to.</summary>
public sealed class ReplayCompletionConsumerDefinition : ConsumerDefinition<ReplayCompletionConsumer>
{
    /// <summary>Names the endpoint and sets its concurrency.</summary>
    public ReplayCompletionConsumerDefinition()
    {
        EndpointName = QueueNames.Replays;
        ConcurrentMessageLimit = 16;
    }

    /// <inheritdoc />
    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ReplayCompletionConsumer> consumerConfigurator,
        IRegistrationContext context) =>
        DispatcherEndpoint.Configure(endpointConfigurator, context);
}
