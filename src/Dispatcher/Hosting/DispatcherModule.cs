using Dispatcher.Consumers;
using Dispatcher.Messaging;
using MassTransit;

namespace Dispatcher.Hosting;

/// <summary>The dispatcher's part of the bus: intake, batch announcements and attempt outcomes.</summary>
public sealed class DispatcherModule : IBusModule
{
    /// <inheritdoc />
    public void AddConsumers(IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<SubmitCompletionConsumer, SubmitCompletionConsumerDefinition>();
        bus.AddConsumer<SubmitBatchConsumer, SubmitBatchConsumerDefinition>();
        bus.AddConsumer<CompletionAttemptedConsumer, CompletionAttemptedConsumerDefinition>();
    }

    /// <inheritdoc />
    public void ConfigureEndpoints<TEndpoint>(IBusRegistrationContext context, IBusFactoryConfigurator<TEndpoint> bus)
        where TEndpoint : IReceiveEndpointConfigurator
    {
        // The definitions own each endpoint's name, concurrency and serializer.
        bus.ConfigureEndpoints(context, f => f.Include(
            typeof(SubmitCompletionConsumer),
            typeof(SubmitBatchConsumer),
            typeof(CompletionAttemptedConsumer)));
    }
}
