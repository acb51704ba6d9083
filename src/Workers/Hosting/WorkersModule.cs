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
/// <c>provider.{id}</c>, running at most that deployment's MaxParallel calls at once, and trying
/// a message again after a transient failure before it goes to <c>provider.{id}_error</c>.
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
        var retry = context.GetRequiredService<IOptions<MessageRetryOptions>>().Value;
        foreach (var deployment in providers.Deployments)
        {
            bus.ReceiveEndpoint(QueueNames.Provider(deployment.Id), e =>
            {
                e.PrefetchCount = deployment.MaxParallel * Math.Max(1, prefetchPerSlot);
                e.ConcurrentMessageLimit = deployment.MaxParallel;
                // A message no consumer here takes (another message type, a foreign envelope) is
                // dead-lettered to provider.{id}_error with the reason, not skipped silently.
                e.MoveUnconsumedToErrorQueue();
                // An attempt's own failure is its outcome; what fails a message is its outcomes not
                // going out. Tried again, the message re-sends the outcomes its first try had
                // (DeliveryOutcomes) instead of calling the provider again.
                e.UseTransientMessageRetry(retry, ex => TransientFailure.IsMatch(ex));
                e.ConfigureConsumer<CompletionWorkConsumer>(context);
            });
        }
    }
}
