using System.Collections.Concurrent;
using Dispatcher.Contracts;
using Dispatcher.ServiceDefaults.Messaging;
using Dispatcher.Standby;
using MassTransit;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Dispatcher.Retries;

/// <summary>
/// Retry delays on RabbitMQ without the delayed-message plugin: one durable queue per delay step,
/// whose <c>x-message-ttl</c> is the step and whose dead-letter exchange is the retries queue's
/// exchange. A job sent there sits out its delay in the broker — surviving a dispatcher restart —
/// and the broker moves it on when it expires. With quorum queues configured they are quorum
/// queues, which keep both the TTL and the dead-lettering. With several shares of the model
/// groups, each share has delay queues of its own, which hand their jobs back to the share's
/// retries queue (<c>dispatcher-delay-2s.s1</c> to <c>dispatcher-retries.s1</c>).
/// </summary>
public sealed class RabbitMqRetryScheduler(IOptions<TransportOptions> transport, TimeProvider time, DispatchShares shares) : IRetryScheduler, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Task> _declared = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private IConnection? _connection;

    /// <inheritdoc />
    public async Task ScheduleAsync(RetryCompletion retry, TimeSpan delay, ISendEndpointProvider sender, CancellationToken ct)
    {
        var step = RetryDelayLadder.StepFor(delay);
        // Every group of the chain is in one share (ShareAssignment), the job's own first.
        var share = shares.ShareOf(retry.ModelGroups.Count > 0 ? retry.ModelGroups[0] : "");
        var name = shares.Queue(RetryDelayLadder.QueueName(step), share);
        var declared = _declared.GetOrAdd(name, n => DeclareAsync(n, step, shares.Queue(QueueNames.Retries, share)));
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

    private async Task DeclareAsync(string name, TimeSpan step, string retries)
    {
        var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        // The retries exchange is MassTransit's for the retries endpoint, declared the same way.
        await channel.ExchangeDeclareAsync(retries, ExchangeType.Fanout, durable: true, autoDelete: false);
        await RabbitMqQueueArguments.DeclareBoundQueueAsync(
            channel,
            name,
            RabbitMqQueueArguments.ForDurableQueue(
                transport.Value.RabbitMq.QueueType,
                new Dictionary<string, object?>
                {
                    ["x-message-ttl"] = (long)step.TotalMilliseconds,
                    ["x-dead-letter-exchange"] = retries,
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
