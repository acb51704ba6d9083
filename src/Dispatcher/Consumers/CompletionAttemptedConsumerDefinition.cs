using Dispatcher.Contracts;
using Dispatcher.Messaging;
using MassTransit;

namespace Dispatcher.Consumers;

/// <summary>The endpoint workers report attempt outcomes to.</summary>
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
        // A message of another type goes to dispatcher-outcomes_error with its reason, not to _skipped.
        endpointConfigurator.MoveUnconsumedToErrorQueue();
    }
}
