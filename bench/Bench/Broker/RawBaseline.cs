using Dispatcher.Testing;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Dispatcher.Bench.Broker;

/// <summary>
/// The broker's own ceiling on this machine, measured the way a careful hand-written client would
/// use it: persistent messages to a durable queue, publisher confirms with a bounded window of
/// unconfirmed publishes, and a concurrent consumer acknowledging each message with a prefetch.
/// The product's throughput is reported as a ratio to this figure, measured in the same run.
/// </summary>
internal static class RawBaseline
{
    private const string Queue = "bench-raw";

    /// <summary>Publishes and consumes <paramref name="messages"/> copies of <paramref name="body"/>; returns the rate.</summary>
    public static async Task<RawResult> RunAsync(
        PrivateRabbitNode node,
        ReadOnlyMemory<byte> body,
        int messages,
        int inFlight,
        ushort prefetch,
        TimeSpan timeout,
        CancellationToken ct)
    {
        var factory = BrokerClient.Factory(node);
        await using var consumerConnection = await factory.CreateConnectionAsync("bench raw consumer", ct);
        await using var publisherConnection = await factory.CreateConnectionAsync("bench raw publisher", ct);

        await using var consumerChannel = await consumerConnection.CreateChannelAsync(cancellationToken: ct);
        await consumerChannel.QueueDeleteAsync(Queue, ifUnused: false, ifEmpty: false, cancellationToken: ct);
        await consumerChannel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false, arguments: null, cancellationToken: ct);
        await consumerChannel.BasicQosAsync(0, prefetch, global: false, ct);

        var clock = TimeProvider.System;
        var lastAck = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = 0;
        var consumer = new AsyncEventingBasicConsumer(consumerChannel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            await consumerChannel.BasicAckAsync(delivery.DeliveryTag, multiple: false, delivery.CancellationToken);
            if (Interlocked.Increment(ref received) == messages)
            {
                lastAck.TrySetResult(clock.GetTimestamp());
            }
        };
        await consumerChannel.BasicConsumeAsync(Queue, autoAck: false, consumer, ct);

        // Tracking on, the library's own limiter off: the window below bounds what is unconfirmed.
        var options = new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true, outstandingPublisherConfirmationsRateLimiter: null);
        await using var publisher = await publisherConnection.CreateChannelAsync(options, ct);
        var properties = new BasicProperties { Persistent = true, ContentType = "application/vnd.masstransit+json" };

        var window = new Task[inFlight];
        var started = clock.GetTimestamp();
        for (var i = 0; i < messages; i++)
        {
            var slot = i % inFlight;
            if (window[slot] is { } oldest)
            {
                // Confirms come back in publish order, so the oldest is the one to wait for.
                await oldest;
            }

            window[slot] = publisher.BasicPublishAsync(string.Empty, Queue, mandatory: false, properties, body, ct).AsTask();
        }

        await Task.WhenAll(window.Where(t => t is not null));
        var published = clock.GetTimestamp();
        var finished = await lastAck.Task.WaitAsync(timeout, clock, ct);

        await consumerChannel.QueueDeleteAsync(Queue, ifUnused: false, ifEmpty: false, cancellationToken: ct);
        return new RawResult(messages, body.Length, clock.GetElapsedTime(started, published), clock.GetElapsedTime(started, finished));
    }
}

/// <summary>The raw baseline's figures.</summary>
/// <param name="Messages">Messages published and consumed.</param>
/// <param name="BodyBytes">Size of each message body.</param>
/// <param name="PublishTime">First publish to last confirm.</param>
/// <param name="Elapsed">First publish to last acknowledgement.</param>
internal sealed record RawResult(int Messages, int BodyBytes, TimeSpan PublishTime, TimeSpan Elapsed)
{
    /// <summary>Messages per second, first publish to last acknowledgement.</summary>
    public double Rate => Messages / Elapsed.TotalSeconds;
}
