using Dispatcher.Contracts;
using Dispatcher.ServiceDefaults.Messaging;
using Dispatcher.Standby;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Dispatcher.Consumers;

/// <summary>
/// The intake endpoint. It accepts MassTransit envelopes and plain JSON bodies (any AMQP
/// client can submit a job), is a priority queue on RabbitMQ (unless quorum queues are configured,
/// which have no priorities: <c>Transport:RabbitMq:QueueType</c>), and bounds prefetch so a large
/// backlog stays in the broker where it is visible as queue depth. On RabbitMQ it is also
/// single-active: of several dispatcher processes one routes, the others stand by.
/// </summary>
public sealed class SubmitCompletionConsumerDefinition : ConsumerDefinition<SubmitCompletionConsumer>
{
    private readonly IntakeOptions _options;

    /// <summary>Names the endpoint and sets its concurrency.</summary>
    public SubmitCompletionConsumerDefinition(IOptions<IntakeOptions> options)
    {
        _options = options.Value;
        EndpointName = QueueNames.Intake;
        ConcurrentMessageLimit = _options.ConcurrentMessageLimit;
    }

    /// <inheritdoc />
    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<SubmitCompletionConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = _options.PrefetchCount;
        endpointConfigurator.UseRawJsonDeserializer(RawSerializerOptions.AnyMessageType, isDefault: true);
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.EnablePriority(IntakePriority.MaxLevel);
        }

        DispatcherEndpoint.Configure(endpointConfigurator, context);
    }
}
