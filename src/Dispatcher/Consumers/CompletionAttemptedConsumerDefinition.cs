using Dispatcher.Contracts;
using Dispatcher.Standby;
using MassTransit;

namespace Dispatcher.Consumers;

/// <summary>
/// The endpoint workers report attempt outcomes to. Single-active on RabbitMQ: only the active
/// dispatcher settles quotas, a standby takes over when it goes.
/// </summary>
public sealed class CompletionAttemptedConsumerDefinition : ConsumerDefinition<CompletionAttemptedConsumer>
{
    /// <summary>Names the endpoint and sets its concurrency.</summary>
    public CompletionAttemptedConsumerDefinition()
    {
        EndpointName = QueueNames.Outcomes;
        ConcurrentMessageLimit = 32;
    }

    /// <inheritdoc />
    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<CompletionAttemptedConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = 64;
        DispatcherEndpoint.Configure(endpointConfigurator, context);
    }
}
