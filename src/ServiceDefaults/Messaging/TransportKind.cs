namespace Dispatcher.ServiceDefaults.Messaging;

/// <summary>Which broker carries the messages.</summary>
public enum TransportKind
{
    /// <summary>MassTransit's in-memory transport: everything in one process (the embedded default).</summary>
    InMemory,
    /// <summary>RabbitMQ: durable queues, persistent messages, publisher confirms.</summary>
    RabbitMq,
}
