using System.Text;
using RabbitMQ.Client;

namespace Integration.Tests.RabbitMq;

[Collection(RabbitNodeFixture.Name)]
public sealed class BrokerRestartTests(RabbitNodeFixture fixture)
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task RestartAsync_DurableQueueWithPersistentMessage_MessageSurvives()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        var ct = timeout.Token;
        var queue = $"it.restart.{Guid.NewGuid():N}";
        var body = Encoding.UTF8.GetBytes("survives a restart");
        var factory = fixture.CreateConnectionFactory(nameof(RestartAsync_DurableQueueWithPersistentMessage_MessageSurvives));

        await using (var connection = await factory.CreateConnectionAsync(ct))
        await using (var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
            ct))
        {
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, cancellationToken: ct);
            await channel.BasicPublishAsync(string.Empty, queue, mandatory: true, new BasicProperties { Persistent = true }, body, ct);
        }

        await fixture.Node.RestartAsync(ct);

        await using (var connection = await factory.CreateConnectionAsync(ct))
        await using (var channel = await connection.CreateChannelAsync(cancellationToken: ct))
        {
            var message = await channel.BasicGetAsync(queue, autoAck: true, ct);
            message.ShouldNotBeNull();
            message.Body.ToArray().ShouldBe(body);
            message.BasicProperties.Persistent.ShouldBeTrue();
            await channel.QueueDeleteAsync(queue, cancellationToken: ct);
        }
    }

    [Fact]
    public async Task StopAppAsync_ThenStartAppAsync_RefusesThenAcceptsConnections()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        var ct = timeout.Token;
        var factory = fixture.CreateConnectionFactory(nameof(StopAppAsync_ThenStartAppAsync_RefusesThenAcceptsConnections));
        factory.RequestedConnectionTimeout = TimeSpan.FromSeconds(5);

        await fixture.Node.StopAppAsync(ct);
        try
        {
            await Should.ThrowAsync<Exception>(async () =>
            {
                await using var refused = await factory.CreateConnectionAsync(ct);
            });
        }
        finally
        {
            await fixture.Node.StartAppAsync(ct);
        }

        await using var connection = await factory.CreateConnectionAsync(ct);
        connection.IsOpen.ShouldBeTrue();
    }
}
