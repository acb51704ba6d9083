using System.Globalization;
using RabbitMQ.Client;

namespace Dispatcher.ServiceDefaults.Messaging;

/// <summary>One RabbitMQ node the programs may connect to: a host and its AMQP port.</summary>
public sealed record RabbitMqNode(string Host, int Port)
{
    /// <summary>
    /// Reads a <c>host</c> or <c>host:port</c> entry (the port defaults to <paramref name="defaultPort"/>);
    /// null with <paramref name="error"/> saying what is wrong when it is neither.
    /// </summary>
    public static RabbitMqNode? TryParse(string? entry, int defaultPort, out string? error)
    {
        error = null;
        var text = entry?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            error = "must be host or host:port, got an empty entry";
            return null;
        }

        var colon = text.LastIndexOf(':');
        if (colon < 0)
        {
            return new RabbitMqNode(text, defaultPort);
        }

        var host = text[..colon];
        if (host.Length == 0 || host.Contains(':', StringComparison.Ordinal)
            || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535)
        {
            error = $"must be host or host:port with a port from 1 to 65535, got '{text}'";
            return null;
        }

        return new RabbitMqNode(host, port);
    }

    /// <summary>The node as an AMQP endpoint for RabbitMQ.Client.</summary>
    public AmqpTcpEndpoint ToEndpoint() => new(Host, Port);

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Host}:{Port}");
}
