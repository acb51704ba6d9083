using Dispatcher.Contracts;
using Dispatcher.ServiceDefaults.Messaging;
using MassTransit;

namespace Dispatcher.Submitter.Results;

/// <summary>
/// Consumes result events into a <see cref="ResultStream"/>: from a temporary queue that lives
/// as long as the process, or from a named durable queue that keeps results while nobody reads.
/// </summary>
internal sealed class ResultsModule(string? queueName) : IBusModule
{
    public void AddConsumers(IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<SucceededConsumer>().ExcludeFromConfigureEndpoints();
        bus.AddConsumer<FailedConsumer>().ExcludeFromConfigureEndpoints();
    }

    public void ConfigureEndpoints<TEndpoint>(IBusRegistrationContext context, IBusFactoryConfigurator<TEndpoint> bus)
        where TEndpoint : IReceiveEndpointConfigurator
    {
        void Configure(TEndpoint e)
        {
            e.ConcurrentMessageLimit = 1;
            e.ConfigureConsumer<SucceededConsumer>(context);
            e.ConfigureConsumer<FailedConsumer>(context);
        }

        if (queueName is null)
        {
            bus.ReceiveEndpoint(new TemporaryEndpointDefinition("results"), DefaultEndpointNameFormatter.Instance, Configure);
        }
        else
        {
            bus.ReceiveEndpoint(queueName, Configure);
        }
    }

    private sealed class SucceededConsumer(ResultStream stream) : IConsumer<CompletionSucceeded>
    {
        public Task Consume(ConsumeContext<CompletionSucceeded> context) =>
            stream.AddAsync("succeeded", context.Message, context.CancellationToken).AsTask();
    }

    private sealed class FailedConsumer(ResultStream stream) : IConsumer<CompletionFailed>
    {
        public Task Consume(ConsumeContext<CompletionFailed> context) =>
            stream.AddAsync("failed", context.Message, context.CancellationToken).AsTask();
    }
}
