using MassTransit;

namespace Dispatcher.Messaging;

/// <summary>
/// One role's part of the bus (dispatcher, workers, a results reader). A process composes the
/// roles it runs into one bus: separately on RabbitMQ, all together on the embedded transport.
/// </summary>
public interface IBusModule
{
    /// <summary>Registers the role's consumers.</summary>
    void AddConsumers(IBusRegistrationConfigurator bus);

    /// <summary>Creates the role's receive endpoints.</summary>
    void ConfigureEndpoints<TEndpoint>(IBusRegistrationContext context, IBusFactoryConfigurator<TEndpoint> bus)
        where TEndpoint : IReceiveEndpointConfigurator;
}
