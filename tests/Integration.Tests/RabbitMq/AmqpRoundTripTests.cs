using System.Text;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Xunit.Abstractions;

namespace Integration.Tests.RabbitMq;

[Collection(RabbitNodeFixture.Name)]
public sealed class AmqpRoundTripTests(RabbitNodeFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task BasicPublishAsync_PersistentMessageWithConfirms_IsConsumedAndAcked()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        var ct = timeout.Token;
        output.WriteLine($"node {fixture.Node} started in {fixture.Node.StartupDuration.TotalSeconds:0.0} s");

        var factory = fixture.CreateConnectionFactory(nameof(BasicPublishAsync_PersistentMessageWithConfirms_IsConsumedAndAcked));
        await using var connection = await factory.CreateConnectionAsync(ct);
        await using var publisher = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
            ct);
        var queue = $"it.roundtrip.{Guid.NewGuid():N}";
        await publisher.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, cancellationToken: ct);

        var body = Encoding.UTF8.GetBytes("""{"prompt":"hello"}""");
        var properties = new BasicProperties { Persistent = true, MessageId = Guid.NewGuid().ToString("N"), ContentType = "application/json" };

        // With confirmation tracking the call returns only once the broker has confirmed the message
        // (and throws if it nacks it, or returns it as unroutable since mandatory is set).
        await publisher.BasicPublishAsync(exchange: string.Empty, routingKey: queue, mandatory: true, basicProperties: properties, body: body, cancellationToken: ct);

        await using var consumerChannel = await connection.CreateChannelAsync(cancellationToken: ct);
        await consumerChannel.BasicQosAsync(prefetchSize: 0, prefetchCount: 1, global: false, ct);
        var received = new TaskCompletionSource<(byte[] Body, IReadOnlyBasicProperties Properties, bool Redelivered)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = new AsyncEventingBasicConsumer(consumerChannel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            // The body's memory belongs to the client library only for the duration of the handler.
            var copy = delivery.Body.ToArray();
            await consumerChannel.BasicAckAsync(delivery.DeliveryTag, multiple: false, delivery.CancellationToken);
            received.TrySetResult((copy, delivery.BasicProperties, delivery.Redelivered));
        };
        await consumerChannel.BasicConsumeAsync(queue, autoAck: false, consumer, ct);

        var message = await received.Task.WaitAsync(ct);
        message.Body.ShouldBe(body);
        message.Properties.Persistent.ShouldBeTrue();
        message.Properties.MessageId.ShouldBe(properties.MessageId);
        message.Redelivered.ShouldBeFalse();

        // Closing the consuming channel would requeue an unacknowledged message; an empty queue afterwards
        // shows the ack reached the broker.
        await consumerChannel.CloseAsync(ct);
        var declared = await publisher.QueueDeclarePassiveAsync(queue, ct);
        declared.MessageCount.ShouldBe(0u);

        await publisher.QueueDeleteAsync(queue, cancellationToken: ct);
    }
}
