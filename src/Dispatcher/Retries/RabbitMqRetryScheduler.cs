using System.Collections.Concurrent;
using Dispatcher.Contracts;
using Dispatcher.ServiceDefaults.Messaging;
using MassTransit;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Dispatcher.Retries;

/// <summary>
/// Retry delays on RabbitMQ without the delayed-message plugin: one durable queue per delay step,
/// whose <c>x-message-ttl</c> is the step and whose dead-letter exchange is the retries queue's
/// exchange. A job sent there sits out its delay in the broker — surviving a dispatcher restart —
/// and the broker moves it on when it expires. With quorum queues configured they are quorum
/// queues, which keep both the TTL and the dead-lettering.
/// </summary>
public sealed class RabbitMqRetryScheduler(IOptions<TransportOptions> transport, TimeProvider time) : IRetryScheduler, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Task> _declared = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private IConnection? _connection;

    /// <inheritdoc />
    public async Task ScheduleAsync(RetryCompletion retry, TimeSpan delay, ISendEndpointProvider sender, CancellationToken ct)
    {
        var step = RetryDelayLadder.StepFor(delay);
        var name = RetryDelayLadder.QueueName(step);
        var declared = _declared.GetOrAdd(name, n => DeclareAsync(n, step));
        try
        {
            await declared.WaitAsync(ct);
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            _declared.TryRemove(new KeyValuePair<string, Task>(name, declared));
            throw;
        }

        var endpoint = await sender.GetSendEndpoint(new Uri("exchange:" + name));
        await endpoint.Send(retry, ct).ConfirmedWithin(time, $"the retry of job {retry.JobId}", ct);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        _connecting.Dispose();
    }

    private async Task DeclareAsync(string name, TimeSpan step)
    {
        var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        // The retries exchange is MassTransit's for the retries endpoint, declared the same way.
        await channel.ExchangeDeclareAsync(QueueNames.Retries, ExchangeType.Fanout, durable: true, autoDelete: false);
        await RabbitMqQueueArguments.DeclareBoundQueueAsync(
            channel,
            name,
            RabbitMqQueueArguments.ForDurableQueue(
                transport.Value.RabbitMq.QueueType,
                new Dictionary<string, object?>
                {
                    ["x-message-ttl"] = (long)step.TotalMilliseconds,
                    ["x-dead-letter-exchange"] = QueueNames.Retries,
                }));
    }

    private async Task<IConnection> ConnectAsync()
    {
        await _connecting.WaitAsync();
        try
        {
            return _connection ??= await transport.Value.RabbitMq.ConnectAsync("dispatcher retry delays");
        }
        finally
        {
            _connecting.Release();
        }
    }
}
