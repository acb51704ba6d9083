using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.ServiceDefaults.Messaging;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Dispatcher.Hosting;

/// <summary>
/// With quorum queues, declares before the bus starts the queues the dispatcher sends to but does
/// not consume from (each deployment's <c>provider.{id}</c> and the dead-letter queue), as quorum
/// queues with their exchanges. The dispatcher then sends to the exchanges
/// (<see cref="TransportOptions.SendAddress"/>), so no job is sent before its queue exists.
/// </summary>
internal sealed class QuorumQueueDeclaration(IOptions<TransportOptions> transport, IOptions<CatalogOptions> catalog) : IHostedService
{
    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var rabbit = transport.Value.RabbitMq;
        if (transport.Value.Kind != TransportKind.RabbitMq || rabbit.QueueType != RabbitMqQueueType.Quorum)
        {
            return;
        }

        var arguments = RabbitMqQueueArguments.ForDurableQueue(rabbit.QueueType, new Dictionary<string, object?>());
        await using var connection = await rabbit.ConnectAsync("dispatcher queue declaration", cancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        foreach (var queue in catalog.Value.Deployments.Select(d => QueueNames.Provider(d.Id)).Append(QueueNames.DeadLetters))
        {
            await RabbitMqQueueArguments.DeclareBoundQueueAsync(channel, queue, arguments, cancellationToken);
        }
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
