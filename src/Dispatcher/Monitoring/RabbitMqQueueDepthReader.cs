using Dispatcher.Catalog;
using Dispatcher.Consumers;
using Dispatcher.ServiceDefaults.Management;
using Dispatcher.ServiceDefaults.Messaging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Dispatcher.Monitoring;

/// <summary>
/// Queue depths on RabbitMQ: every queue of the virtual host from the management HTTP API
/// (ready, unacked, consumers, rates). When the API cannot answer (plugin disabled, port
/// closed), the system's own queues are declared passively over AMQP instead: that gives ready
/// and consumers, but neither unacked counts nor rates.
/// </summary>
public sealed class RabbitMqQueueDepthReader : IQueueDepthReader, IAsyncDisposable
{
    private readonly RabbitMqManagementClient _management;
    private readonly RabbitMqOptions _rabbit;
    private readonly IReadOnlyList<string> _systemQueues;
    private readonly ILogger<RabbitMqQueueDepthReader> _logger;
    private readonly SemaphoreSlim _connectionLock = new(1, 1);
    private IReadOnlyList<string> _lastSeen = [];
    private IConnection? _connection;
    private bool _managementFailing;

    /// <summary>Reads the broker named by the transport settings.</summary>
    public RabbitMqQueueDepthReader(
        HttpClient http,
        IOptions<TransportOptions> transport,
        IOptions<CatalogOptions> catalog,
        IOptions<IntakeOptions> intake,
        ILogger<RabbitMqQueueDepthReader> logger)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(catalog);
        var rabbit = transport.Value.RabbitMq;
        _management = new RabbitMqManagementClient(http, RabbitMqManagementOptions.ForBroker(rabbit));
        _rabbit = rabbit;
        _systemQueues = SystemQueues.For(catalog.Value, intake.Value.Lanes);
        _logger = logger;
    }

    /// <inheritdoc />
    public string Source { get; private set; } = "management-api";

    /// <inheritdoc />
    public async Task<IReadOnlyList<QueueDepthSample>> ReadAsync(CancellationToken ct)
    {
        try
        {
            var queues = await _management.GetQueueDepthsAsync(ct);
            // Queues the broker listed once (retry and dead-letter queues, other consumers' queues)
            // are still asked about if the API goes away later.
            _lastSeen = queues.Select(q => q.Queue).ToList();
            Source = "management-api";
            if (_managementFailing)
            {
                _managementFailing = false;
                _logger.LogInformation("queue depths: the management API answers again");
            }

            return queues;
        }
        catch (RabbitMqManagementException e)
        {
            if (!_managementFailing)
            {
                _managementFailing = true;
                _logger.LogWarning("queue depths: {Reason}; declaring the system's queues passively instead (no unacked counts or rates)", e.Message);
            }
        }

        Source = "passive-declare";
        return await DeclarePassivelyAsync(ct);
    }

    private async Task<IReadOnlyList<QueueDepthSample>> DeclarePassivelyAsync(CancellationToken ct)
    {
        var names = _systemQueues.Concat(_lastSeen).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var connection = await ConnectAsync(ct);
        var samples = new List<QueueDepthSample>();
        IChannel? channel = null;
        try
        {
            foreach (var name in names)
            {
                channel ??= await connection.CreateChannelAsync(cancellationToken: ct);
                try
                {
                    var ok = await channel.QueueDeclarePassiveAsync(name, ct);
                    samples.Add(new QueueDepthSample(name, ok.MessageCount, 0, (int)ok.ConsumerCount, null, null));
                }
                catch (OperationInterruptedException)
                {
                    // 404: the queue does not exist (yet); the broker closed the channel.
                    await channel.DisposeAsync();
                    channel = null;
                }
            }
        }
        finally
        {
            if (channel is not null)
            {
                await channel.DisposeAsync();
            }
        }

        return samples;
    }

    private async Task<IConnection> ConnectAsync(CancellationToken ct)
    {
        await _connectionLock.WaitAsync(ct);
        try
        {
            if (_connection is { IsOpen: true })
            {
                return _connection;
            }

            if (_connection is not null)
            {
                await _connection.DisposeAsync();
            }

            _connection = await _rabbit.ConnectAsync("dispatcher-queue-depths", ct);
            return _connection;
        }
        finally
        {
            _connectionLock.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        _connectionLock.Dispose();
    }
}
