using Dispatcher.Contracts;
using Dispatcher.ServiceDefaults.Messaging;
using Dispatcher.Workers.Consumers;
using Dispatcher.Workers.Providers;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dispatcher.Workers.Hosting;

/// <summary>
/// The workers' part of the bus: one receive endpoint per served deployment, named
/// <c>provider.{id}</c>, running at most that deployment's MaxParallel calls at once.
/// </summary>
public sealed class WorkersModule : IBusModule
{
    /// <inheritdoc />
    public void AddServices(IServiceCollection services) => services.AddWorkers();

    /// <inheritdoc />
    public void AddConsumers(IBusRegistrationConfigurator bus) =>
        bus.AddConsumer<CompletionWorkConsumer>().ExcludeFromConfigureEndpoints();

    /// <inheritdoc />
    public void ConfigureEndpoints<TEndpoint>(IBusRegistrationContext context, IBusFactoryConfigurator<TEndpoint> bus)
        where TEndpoint : IReceiveEndpointConfigurator
    {
        var providers = context.GetRequiredService<ProviderRegistry>();
        var prefetchPerSlot = context.GetRequiredService<IOptions<WorkerOptions>>().Value.PrefetchPerSlot;
        foreach (var deployment in providers.Deployments)
        {
            bus.ReceiveEndpoint(QueueNames.Provider(deployment.Id), e =>
            {
                e.PrefetchCount = deployment.MaxParallel * Math.Max(1, prefetchPerSlot);
                e.ConcurrentMessageLimit = deployment.MaxParallel;
                // A message no consumer here takes (another message type, a foreign envelope) is
                // dead-lettered to provider.{id}_error with the reason, not skipped silently.
                e.MoveUnconsumedToErrorQueue();
                e.ConfigureConsumer<CompletionWorkConsumer>(context);
            });
        }
    }
}
