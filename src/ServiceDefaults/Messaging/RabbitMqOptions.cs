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

    /// <summary>
    /// The nodes of a cluster, as <c>host:port</c> (or <c>host</c>, with <see cref="Port"/>), tried in
    /// order: a client connects to the first that answers and, when its node goes away, reconnects
    /// to the next. Empty (the default): the one node <see cref="Host"/>:<see cref="Port"/>.
    /// </summary>
    public List<string> Hosts { get; set; } = [];

    /// <summary>Whether the durable queues the programs declare are classic (the default) or quorum queues.</summary>
    public RabbitMqQueueType QueueType { get; set; } = RabbitMqQueueType.Classic;

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

    /// <summary>
    /// The heartbeat timeout each program asks the broker for: a connection silent this long (a
    /// process frozen, its host cut off) is closed by the broker, which hands what it held
    /// unacknowledged and its single-active queues to the next consumer. Between 1 s and 10 min;
    /// the broker uses the smaller of this and its own setting.
    /// </summary>
    public TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The password, from the environment.</summary>
    public string ResolvePassword() => Environment.GetEnvironmentVariable(PasswordVariable) is { Length: > 0 } p ? p : "guest";

    /// <summary>
    /// The nodes to connect to, in order: <see cref="Hosts"/>, or <see cref="Host"/>:<see cref="Port"/> when it is empty.
    /// </summary>
    /// <exception cref="InvalidOperationException">An entry of <see cref="Hosts"/> is malformed (start-up validation reports it first).</exception>
    public IReadOnlyList<RabbitMqNode> Nodes()
    {
        if (Hosts.Count == 0)
        {
            return [new RabbitMqNode(Host, Port)];
        }

        return Hosts.Select((entry, i) => RabbitMqNode.TryParse(entry, Port, out var error)
            ?? throw new InvalidOperationException($"{TransportOptions.Section}:{nameof(TransportOptions.RabbitMq)}:{nameof(Hosts)}:{i}: {error}")).ToList();
    }

    /// <summary>
    /// A connection, beside MassTransit, to the first of <see cref="Nodes"/> that accepts it
    /// (RabbitMQ.Client tries them in order, and recovers onto them in order too).
    /// </summary>
    public Task<IConnection> ConnectAsync(string clientName, CancellationToken ct = default) =>
        CreateConnectionFactory(clientName).CreateConnectionAsync(Nodes().Select(n => n.ToEndpoint()).ToList(), ct);

    /// <summary>A connection factory for this broker, for the few things done beside MassTransit.</summary>
    public ConnectionFactory CreateConnectionFactory(string clientName) => new()
    {
        HostName = Host,
        Port = Port,
        VirtualHost = VirtualHost,
        UserName = Username,
        Password = ResolvePassword(),
        RequestedHeartbeat = Heartbeat,
        ClientProvidedName = clientName,
    };
}
