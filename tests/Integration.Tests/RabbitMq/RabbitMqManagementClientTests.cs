using System.Net;
using System.Net.Sockets;
using Dispatcher.ServiceDefaults.Management;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Integration.Tests.RabbitMq;

[Collection(RabbitNodeFixture.Name)]
public sealed class RabbitMqManagementClientTests(RabbitNodeFixture fixture) : IDisposable
{
    // Queue counters reach the management API with the next statistics sample (every second on the
    // private node), so assertions on them poll up to this deadline.
    private static readonly TimeSpan StatsDeadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    private readonly HttpClient _httpClient = new() { Timeout = TimeSpan.FromSeconds(10) };

    public void Dispose() => _httpClient.Dispose();

    [Fact]
    public async Task GetQueueDepthsAsync_QueueWithReadyUnackedAndConsumer_ReportsThemSortedByName()
    {
        using var timeout = new CancellationTokenSource(StatsDeadline + TimeSpan.FromSeconds(30));
        var ct = timeout.Token;
        var prefix = $"it.depth.{Guid.NewGuid():N}";
        var busy = prefix + ".b";
        var idle = prefix + ".a";
        const int Published = 5;
        const ushort Prefetch = 2;

        var factory = fixture.CreateConnectionFactory(nameof(GetQueueDepthsAsync_QueueWithReadyUnackedAndConsumer_ReportsThemSortedByName));
        await using var connection = await factory.CreateConnectionAsync(ct);
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
            ct);
        await channel.QueueDeclareAsync(busy, durable: true, exclusive: false, autoDelete: false, cancellationToken: ct);
        await channel.QueueDeclareAsync(idle, durable: true, exclusive: false, autoDelete: false, cancellationToken: ct);
        for (var i = 0; i < Published; i++)
        {
            await channel.BasicPublishAsync(string.Empty, busy, mandatory: true, new BasicProperties { Persistent = true }, new byte[] { (byte)i }, ct);
        }

        // A consumer that never acks holds exactly its prefetch as unacked; the rest stay ready.
        await using var consumerChannel = await connection.CreateChannelAsync(cancellationToken: ct);
        await consumerChannel.BasicQosAsync(0, Prefetch, global: false, ct);
        var consumer = new AsyncEventingBasicConsumer(consumerChannel);
        await consumerChannel.BasicConsumeAsync(busy, autoAck: false, consumer, ct);

        var client = CreateClient(fixture.Node.Password);
        var expected = new { Ready = (long)(Published - Prefetch), Unacked = (long)Prefetch, Consumers = 1 };
        IReadOnlyList<QueueDepthSample> queues = [];
        QueueDepthSample? seen = null;
        var started = TimeProvider.System.GetTimestamp();
        while (TimeProvider.System.GetElapsedTime(started) < StatsDeadline)
        {
            queues = await client.GetQueueDepthsAsync(ct);
            seen = queues.SingleOrDefault(q => q.Queue == busy);
            if (seen is not null && seen.Ready == expected.Ready && seen.Unacked == expected.Unacked && seen.Consumers == expected.Consumers)
            {
                break;
            }

            await Task.Delay(PollInterval, ct);
        }

        seen.ShouldNotBeNull();
        seen.Ready.ShouldBe(expected.Ready, $"last sample: {seen}");
        seen.Unacked.ShouldBe(expected.Unacked, $"last sample: {seen}");
        seen.Consumers.ShouldBe(expected.Consumers, $"last sample: {seen}");

        var names = queues.Select(q => q.Queue).ToList();
        names.ShouldBe(names.Order(StringComparer.Ordinal).ToList());
        names.IndexOf(idle).ShouldBeLessThan(names.IndexOf(busy));
        var idleDepth = queues.Single(q => q.Queue == idle);
        idleDepth.Ready.ShouldBe(0);
        idleDepth.Consumers.ShouldBe(0);

        await consumerChannel.CloseAsync(ct);
        await channel.QueueDeleteAsync(busy, cancellationToken: ct);
        await channel.QueueDeleteAsync(idle, cancellationToken: ct);
    }

    [Fact]
    public async Task GetQueueDepthsAsync_WrongPassword_ThrowsWithoutThePassword()
    {
        var password = $"wrong-{Guid.NewGuid():N}";
        var client = CreateClient(password);

        var error = await Should.ThrowAsync<RabbitMqManagementException>(() => client.GetQueueDepthsAsync());

        error.Message.ShouldContain("401");
        error.ToString().ShouldNotContain(password);
        error.ToString().ShouldNotContain(fixture.Node.Username);
    }

    [Fact]
    public async Task GetQueueDepthsAsync_NothingListening_SaysEnableThePluginWithoutThePassword()
    {
        var port = UnusedLoopbackPort();
        var password = $"secret-{Guid.NewGuid():N}";
        var client = new RabbitMqManagementClient(_httpClient, new RabbitMqManagementOptions
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}/"),
            Username = fixture.Node.Username,
            Password = password,
        });

        var error = await Should.ThrowAsync<RabbitMqManagementException>(() => client.GetQueueDepthsAsync());

        error.Message.ShouldBe($"management API at http://127.0.0.1:{port} not reachable: enable the rabbitmq_management plugin");
        error.ToString().ShouldNotContain(password);
    }

    private RabbitMqManagementClient CreateClient(string password) => new(_httpClient, new RabbitMqManagementOptions
    {
        BaseAddress = fixture.Node.ManagementUri,
        Username = fixture.Node.Username,
        Password = password,
    });

    private static int UnusedLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
