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
}
