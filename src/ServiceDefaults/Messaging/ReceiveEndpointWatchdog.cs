using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Dispatcher.ServiceDefaults.Messaging;

/// <summary>
/// Brings back a RabbitMQ receive endpoint that stays down. The transport reconnects by itself
/// after a broker restart, but an endpoint whose acknowledgement failed as the connection died
/// can be left without a consumer for good. This watches every endpoint's events and, through a
/// connection of its own, the consumer count the broker shows on each queue; an endpoint down (or
/// with no consumer on the broker) for longer than <see cref="RabbitMqOptions.EndpointRestartAfter"/>
/// is stopped and started again. Unacknowledged messages of the dead channel are back in the queue
/// already, so a restart loses nothing.
/// </summary>
public sealed class ReceiveEndpointWatchdog(
    IOptions<TransportOptions> transport,
    TimeProvider time,
    ILogger<ReceiveEndpointWatchdog> logger) : BackgroundService, IReceiveEndpointObserver
{
    private readonly RabbitMqOptions _rabbit = transport.Value.RabbitMq;
    private readonly EndpointWatch<IReceiveEndpoint> _watch = new(transport.Value.RabbitMq.EndpointRestartAfter);
    private readonly Lock _gate = new();
    private IConnection? _connection;

    /// <summary>Endpoints restarted so far.</summary>
    public int Restarts { get; private set; }

    /// <summary>The queue name of a RabbitMQ receive endpoint address (its last path segment).</summary>
    public static string QueueOf(Uri address) => Uri.UnescapeDataString(address.AbsolutePath.TrimEnd('/').Split('/')[^1]);

    /// <summary>The queues of the endpoints seen so far.</summary>
    public IReadOnlyList<string> Queues
    {
        get
        {
            lock (_gate)
            {
                return _watch.Endpoints.Select(e => e.Queue).ToList();
            }
        }
    }

    /// <inheritdoc />
    public Task Ready(ReceiveEndpointReady ready)
    {
        lock (_gate)
        {
            _watch.Ready(ready.InputAddress, ready.ReceiveEndpoint, time.GetUtcNow());
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task Stopping(ReceiveEndpointStopping stopping)
    {
        lock (_gate)
        {
            _watch.Stopping(stopping.InputAddress, stopping.ReceiveEndpoint);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task Completed(ReceiveEndpointCompleted completed) => Down(completed);

    /// <inheritdoc />
    public Task Faulted(ReceiveEndpointFaulted faulted) => Down(faulted);

    /// <summary>How long a restart waits for the endpoint to stop (its messages in hand to finish) before it starts it anyway.</summary>
    internal TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Stops an endpoint and starts it again, waiting at most <paramref name="readyWithin"/> for it to
    /// consume. An endpoint that did not stop in time cannot be started yet: that restart fails
    /// (false), and the watch tries again later, rather than the failure stopping the process.
    /// </summary>
    internal async Task<bool> RestartAsync(Uri address, IReceiveEndpoint endpoint, TimeSpan readyWithin, CancellationToken ct)
    {
        using (var stop = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            stop.CancelAfter(StopTimeout);
            try
            {
                await endpoint.Stop(stop.Token);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                logger.LogWarning("receive endpoint {Queue}: stopping it failed ({Error}); starting it anyway", QueueOf(address), e.Message);
            }
        }

        lock (_gate)
        {
            _watch.Restarting(address, time.GetUtcNow());
            Restarts++;
        }

        ReceiveEndpointHandle handle;
        try
        {
            handle = endpoint.Start(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("receive endpoint {Queue}: starting it failed ({Error})", QueueOf(address), e.Message);
            return false;
        }

        var ready = await Task.WhenAny(handle.Ready, Task.Delay(readyWithin, time, ct));
        return ready == handle.Ready && handle.Ready.IsCompletedSuccessfully;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromTicks(Math.Clamp(_watch.RestartAfter.Ticks / 4, TimeSpan.TicksPerSecond, 5 * TimeSpan.TicksPerSecond));
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await CheckBrokerAsync(stoppingToken);
                IReadOnlyList<(Uri Address, IReceiveEndpoint Endpoint, string Reason)> due;
                lock (_gate)
                {
                    due = _watch.Due(time.GetUtcNow());
                }

                foreach (var (address, endpoint, reason) in due)
                {
                    var queue = QueueOf(address);
                    logger.LogWarning("receive endpoint {Queue}: {Reason}; restarting it", queue, reason);
                    var ready = await RestartAsync(address, endpoint, _watch.RestartAfter, stoppingToken);
                    if (ready)
                    {
                        logger.LogInformation("receive endpoint {Queue}: restarted, consuming again", queue);
                    }
                    else
                    {
                        logger.LogWarning("receive endpoint {Queue}: restarted, not consuming yet; tried again in {Seconds:F0} s", queue, _watch.RestartAfter.TotalSeconds);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            if (_connection is not null)
            {
                await _connection.DisposeAsync();
            }
        }
    }

    private Task Down(ReceiveEndpointEvent down)
    {
        lock (_gate)
        {
            _watch.Down(down.InputAddress, down.ReceiveEndpoint, time.GetUtcNow());
        }

        return Task.CompletedTask;
    }

    // The broker's own view: a queue this process consumes with no consumer at all means no one,
    // this process included, is consuming it, whatever the endpoint last reported.
    private async Task CheckBrokerAsync(CancellationToken ct)
    {
        List<(Uri Address, string Queue)> endpoints;
        lock (_gate)
        {
            endpoints = _watch.Endpoints.ToList();
        }

        if (endpoints.Count == 0)
        {
            return;
        }

        try
        {
            if (_connection is not { IsOpen: true })
            {
                if (_connection is not null)
                {
                    await _connection.DisposeAsync();
                }

                _connection = null;
                _connection = await _rabbit.ConnectAsync("endpoint-watchdog", ct);
            }

            await using var channel = await _connection.CreateChannelAsync(cancellationToken: ct);
            foreach (var (address, queue) in endpoints)
            {
                var ok = await channel.QueueDeclarePassiveAsync(queue, ct);
                lock (_gate)
                {
                    _watch.Consumers(address, (int)ok.ConsumerCount, time.GetUtcNow());
                }
            }
        }
        catch (Exception e) when (e is BrokerUnreachableException or OperationInterruptedException or AlreadyClosedException or IOException)
        {
            // The broker is away or a queue is missing: the endpoints' own events tell the rest.
            logger.LogDebug("endpoint watchdog: broker check failed: {Error}", e.Message);
        }
    }
}
