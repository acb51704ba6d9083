using RabbitMQ.Client;

namespace Dispatcher.ServiceDefaults.Messaging;

/// <summary>What the configured <see cref="RabbitMqQueueType"/> means for one queue's declaration.</summary>
public static class RabbitMqQueueArguments
{
    /// <summary>RabbitMQ's queue argument naming the queue type.</summary>
    public const string QueueTypeArgument = "x-queue-type";

    /// <summary>
    /// Whether a queue is declared as a quorum queue: only when quorum queues are configured and the
    /// queue is durable, not auto-deleted and not exclusive, since the broker refuses a quorum
    /// queue that is any of those.
    /// </summary>
    public static bool IsQuorum(RabbitMqQueueType queueType, bool durable, bool autoDelete, bool exclusive) =>
        queueType == RabbitMqQueueType.Quorum && durable && !autoDelete && !exclusive;

    /// <summary>
    /// The arguments of a durable queue declared by hand (beside MassTransit): <paramref name="arguments"/>,
    /// plus <c>x-queue-type: quorum</c> when quorum queues are configured. Quorum queues on RabbitMQ
    /// 3.10 keep <c>x-message-ttl</c> and dead-lettering, which is what the delay queues rely on.
    /// </summary>
    public static Dictionary<string, object?> ForDurableQueue(RabbitMqQueueType queueType, IReadOnlyDictionary<string, object?> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var declared = new Dictionary<string, object?>(arguments, StringComparer.Ordinal);
        if (IsQuorum(queueType, durable: true, autoDelete: false, exclusive: false))
        {
            declared[QueueTypeArgument] = "quorum";
        }

        return declared;
    }

    /// <summary>
    /// Declares a durable queue by hand the way MassTransit declares an endpoint's: a durable fanout
    /// exchange of the same name, bound to the queue.
    /// </summary>
    public static async Task DeclareBoundQueueAsync(IChannel channel, string name, IDictionary<string, object?> arguments, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        await channel.ExchangeDeclareAsync(name, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: ct);
        await channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false, arguments: arguments, cancellationToken: ct);
        await channel.QueueBindAsync(name, name, routingKey: "", cancellationToken: ct);
    }
}
