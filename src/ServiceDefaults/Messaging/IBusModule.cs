using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatcher.ServiceDefaults.Messaging;

/// <summary>
/// One role's part of a process (dispatcher, workers, a results reader). A process composes the
/// roles it runs into one bus: separately on RabbitMQ, all together on the embedded transport.
/// </summary>
public interface IBusModule
{
    /// <summary>
    /// Registers the services the role runs on. Called before the bus is added, so the role's
    /// hosted services (the ledger's schema, say) start before its consumers receive anything.
    /// </summary>
    void AddServices(IServiceCollection services)
    {
    }

    /// <summary>Registers the role's consumers.</summary>
    void AddConsumers(IBusRegistrationConfigurator bus);

    /// <summary>Creates the role's receive endpoints.</summary>
    void ConfigureEndpoints<TEndpoint>(IBusRegistrationContext context, IBusFactoryConfigurator<TEndpoint> bus)
        where TEndpoint : IReceiveEndpointConfigurator;
}
