using Dispatcher.Contracts;
using MassTransit;

namespace Dispatcher.Consumers;

/// <summary>
/// The intake endpoint. It accepts MassTransit envelopes and plain JSON bodies (any AMQP
/// client can submit a job), and bounds prefetch so a large backlog stays in the broker
/// where it is visible as queue depth.
/// </summary>
public sealed class SubmitCompletionConsumerDefinition : ConsumerDefinition<SubmitCompletionConsumer>
{
    /// <summary>Names the endpoint and sets its concurrency.</summary>
    public SubmitCompletionConsumerDefinition()
    {
        EndpointName = QueueNames.Intake;
        ConcurrentMessageLimit = 32;
    }

    /// <inheritdoc />
    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<SubmitCompletionConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = 64;
        endpointConfigurator.UseRawJsonDeserializer(RawSerializerOptions.AnyMessageType, isDefault: true);
    }
}
