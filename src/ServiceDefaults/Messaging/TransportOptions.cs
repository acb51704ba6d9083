namespace Dispatcher.ServiceDefaults.Messaging;

/// <summary>The message transport, bound from the <c>Transport</c> configuration section.</summary>
public sealed class TransportOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Transport";

    /// <summary>InMemory (the embedded default) or RabbitMq.</summary>
    public TransportKind Kind { get; set; } = TransportKind.InMemory;

    /// <summary>Broker settings, used when <see cref="Kind"/> is RabbitMq.</summary>
    public RabbitMqOptions RabbitMq { get; set; } = new();

    /// <summary>
    /// Where to send to a queue no process here consumes from. A <c>queue:</c> address makes the
    /// sender declare the queue, as a classic queue; with quorum queues that declaration would
    /// clash with the quorum queue, so the message goes to the queue's exchange instead, and the
    /// dispatcher declares the queue (with its exchange) at start-up.
    /// </summary>
    public Uri SendAddress(string queue) =>
        new((Kind == TransportKind.RabbitMq && RabbitMq.QueueType == RabbitMqQueueType.Quorum ? "exchange:" : "queue:") + queue);
}
