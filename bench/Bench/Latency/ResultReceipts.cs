using System.Collections.Concurrent;
using Dispatcher.Contracts;
using Dispatcher.ServiceDefaults.Messaging;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatcher.Bench.Latency;

/// <summary>
/// A result reader on the producer's bus, bound as <c>Submitter consume</c> binds its queue (a
/// temporary queue bound to the result events' exchanges): it notes when each job's result event
/// arrived, by job id.
/// </summary>
internal sealed class ResultReceipts : IBusModule
{
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _succeeded = new();
    private readonly ConcurrentDictionary<Guid, string> _failed = new();

    /// <summary>When each job's <see cref="CompletionSucceeded"/> arrived.</summary>
    public IReadOnlyDictionary<Guid, DateTimeOffset> Succeeded => _succeeded;

    /// <summary>The jobs that ended failed, with the reason.</summary>
    public IReadOnlyDictionary<Guid, string> Failed => _failed;

    /// <summary>Results received so far, succeeded or failed.</summary>
    public int Count => _succeeded.Count + _failed.Count;

    /// <inheritdoc />
    public void AddServices(IServiceCollection services) => services.AddSingleton(this);

    /// <inheritdoc />
    public void AddConsumers(IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<SucceededConsumer>().ExcludeFromConfigureEndpoints();
        bus.AddConsumer<FailedConsumer>().ExcludeFromConfigureEndpoints();
    }

    /// <inheritdoc />
    public void ConfigureEndpoints<TEndpoint>(IBusRegistrationContext context, IBusFactoryConfigurator<TEndpoint> bus)
        where TEndpoint : IReceiveEndpointConfigurator =>
        bus.ReceiveEndpoint(new TemporaryEndpointDefinition("bench-results"), DefaultEndpointNameFormatter.Instance, e =>
        {
            e.ConfigureConsumer<SucceededConsumer>(context);
            e.ConfigureConsumer<FailedConsumer>(context);
        });

    private sealed class SucceededConsumer(ResultReceipts receipts) : IConsumer<CompletionSucceeded>
    {
        public Task Consume(ConsumeContext<CompletionSucceeded> context)
        {
            // The arrival is the instant the consumer sees the event, before anything else is done with it.
            receipts._succeeded.TryAdd(context.Message.JobId, TimeProvider.System.GetUtcNow());
            return Task.CompletedTask;
        }
    }

    private sealed class FailedConsumer(ResultReceipts receipts) : IConsumer<CompletionFailed>
    {
        public Task Consume(ConsumeContext<CompletionFailed> context)
        {
            receipts._failed.TryAdd(context.Message.JobId, context.Message.Message);
            return Task.CompletedTask;
        }
    }
}
