using System.ComponentModel.DataAnnotations;
using RabbitMQ.Client;

namespace Dispatcher.ServiceDefaults.Messaging;

/// <summary>How to reach RabbitMQ. The password is read from an environment variable, never from the file.</summary>
public sealed class RabbitMqOptions
{
    /// <summary>Broker host name.</summary>
    [Required]
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>AMQP port.</summary>
    [Range(1, 65535)]
    public int Port { get; set; } = 5672;

    /// <summary>Virtual host.</summary>
    public string VirtualHost { get; set; } = "/";

    /// <summary>User name.</summary>
    [Required]
    public string Username { get; set; } = "guest";

    /// <summary>The environment variable holding the password; when it is unset, "guest" is used.</summary>
    public string PasswordVariable { get; set; } = "RABBITMQ_PASSWORD";

    /// <summary>Port of the management HTTP API (queue depths).</summary>
    [Range(1, 65535)]
    public int ManagementPort { get; set; } = 15672;

    /// <summary>
    /// How long a receive endpoint may stay without a consumer before the process restarts it
    /// (<see cref="ReceiveEndpointWatchdog"/>). Longer than the transport's own reconnect interval
    /// (at most 30 s), so a normal reconnect is never interrupted. Zero turns the watchdog off.
    /// </summary>
    public TimeSpan EndpointRestartAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The password, from the environment.</summary>
    public string ResolvePassword() => Environment.GetEnvironmentVariable(PasswordVariable) is { Length: > 0 } p ? p : "guest";

    /// <summary>A connection factory for this broker, for the few things done beside MassTransit.</summary>
    public ConnectionFactory CreateConnectionFactory(string clientName) => new()
    {
        HostName = Host,
        Port = Port,
        VirtualHost = VirtualHost,
        UserName = Username,
        Password = ResolvePassword(),
        ClientProvidedName = clientName,
    };
}
