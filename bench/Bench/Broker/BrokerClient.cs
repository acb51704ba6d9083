using Dispatcher.Contracts;
using Dispatcher.Testing;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Dispatcher.Bench.Broker;

/// <summary>
/// The bench's own view of the private node over AMQP: queue depths and consumer counts (passive
/// declares), purges and deletes between stages, and reading one message to size it.
/// </summary>
internal sealed class BrokerClient : IAsyncDisposable
{
    private const ushort NotFound = 404;

    private readonly IConnection _connection;
    private IChannel _channel;

    private BrokerClient(IConnection connection, IChannel channel)
    {
        _connection = connection;
        _channel = channel;
    }

    /// <summary>Connects to the node.</summary>
    public static async Task<BrokerClient> ConnectAsync(PrivateRabbitNode node, CancellationToken ct)
    {
        var connection = await Factory(node).CreateConnectionAsync("bench probe", ct);
        var channel = await connection.CreateChannelAsync(cancellationToken: ct);
        return new BrokerClient(connection, channel);
    }

    /// <summary>A connection factory for the node (loopback, no automatic recovery: a lost broker should fail the run).</summary>
    public static ConnectionFactory Factory(PrivateRabbitNode node) => new()
    {
        HostName = node.Host,
        Port = node.AmqpPort,
        UserName = node.Username,
        Password = node.Password,
        AutomaticRecoveryEnabled = false,
        RequestedConnectionTimeout = TimeSpan.FromSeconds(10),
    };

    /// <summary>Ready messages and consumers of a queue; null when the queue does not exist (yet).</summary>
    public async Task<QueueDeclareOk?> TryInspectAsync(string queue, CancellationToken ct)
    {
        try
        {
            return await _channel.QueueDeclarePassiveAsync(queue, ct);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == NotFound)
        {
            // A failed passive declare closes the channel.
            await ReopenAsync(ct);
            return null;
        }
    }

    /// <summary>Ready messages summed over the queues; a queue that does not exist counts 0.</summary>
    public async Task<long> DepthAsync(IEnumerable<string> queues, CancellationToken ct)
    {
        long total = 0;
        foreach (var queue in queues)
        {
            total += (await TryInspectAsync(queue, ct))?.MessageCount ?? 0;
        }

        return total;
    }

    /// <summary>
    /// Whether every queue exists and has at least <paramref name="consumers"/> consumers (a
    /// single-active queue counts its waiting consumers too).
    /// </summary>
    public async Task<bool> AllConsumedAsync(IEnumerable<string> queues, int consumers, CancellationToken ct)
    {
        foreach (var queue in queues)
        {
            if (((await TryInspectAsync(queue, ct))?.ConsumerCount ?? 0) < consumers)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Removes every ready message of the queue, if it exists.</summary>
    public async Task PurgeAsync(string queue, CancellationToken ct)
    {
        if (await TryInspectAsync(queue, ct) is not null)
        {
            await _channel.QueuePurgeAsync(queue, ct);
        }
    }

    /// <summary>
    /// Declares the intake exactly as the dispatcher does (a durable, single-active priority queue
    /// bound to its fanout exchange), so a submitter can publish with no dispatcher running.
    /// </summary>
    public Task DeclareIntakeAsync(CancellationToken ct) => DeclareIntakeAsync(singleActive: true, ct);

    /// <summary>
    /// Declares the intake as dispatchers with the given setting declare it: single-active with one
    /// share of the model groups, consumed by every dispatcher at once with several
    /// (<c>Dispatcher:Shares</c> above 1). The broker refuses to declare a queue again with other arguments.
    /// </summary>
    public async Task DeclareIntakeAsync(bool singleActive, CancellationToken ct)
    {
        await _channel.ExchangeDeclareAsync(QueueNames.Intake, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: ct);
        var arguments = new Dictionary<string, object?> { ["x-max-priority"] = (int)Dispatcher.ServiceDefaults.Messaging.IntakePriority.MaxLevel };
        if (singleActive)
        {
            arguments["x-single-active-consumer"] = true;
        }

        await _channel.QueueDeclareAsync(QueueNames.Intake, durable: true, exclusive: false, autoDelete: false, arguments: arguments, cancellationToken: ct);
        await _channel.QueueBindAsync(QueueNames.Intake, QueueNames.Intake, "", cancellationToken: ct);
    }

    /// <summary>Deletes the queue, if it exists.</summary>
    public async Task DeleteAsync(string queue, CancellationToken ct)
    {
        if (await TryInspectAsync(queue, ct) is not null)
        {
            await _channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false, cancellationToken: ct);
        }
    }

    /// <summary>Takes one message off the queue (acknowledged); null when it is empty.</summary>
    public async Task<byte[]?> TakeOneAsync(string queue, CancellationToken ct)
    {
        var result = await _channel.BasicGetAsync(queue, autoAck: true, ct);
        return result?.Body.ToArray();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }

    private async Task ReopenAsync(CancellationToken ct)
    {
        await _channel.DisposeAsync();
        _channel = await _connection.CreateChannelAsync(cancellationToken: ct);
    }
}
