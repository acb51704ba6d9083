using Dispatcher.Catalog;
using Dispatcher.Consumers;
using Dispatcher.Contracts;
using Dispatcher.Monitoring;
using Dispatcher.ServiceDefaults.Management;
using Dispatcher.ServiceDefaults.Messaging;
using Integration.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Integration.Tests.RabbitMq;

// The dispatcher's queue depth reader against a real broker: the management API when it answers,
// passive declares of the system's queues when it does not.
[Collection(RabbitNodeFixture.Name)]
public sealed class RabbitMqQueueDepthReaderTests(RabbitNodeFixture fixture)
{
    private static readonly TimeSpan StatsDeadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ReadAsync_ManagementApiAnswers_ListsEveryQueueWithCounts()
    {
        var (vhost, deployment) = await DeclareSystemQueuesAsync(publishToProvider: 3, extraQueue: "retry.delay-5s");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await using var reader = CreateReader(http, vhost, deployment, fixture.Node.ManagementPort);

        IReadOnlyList<QueueDepthSample> queues = [];
        var started = DateTime.UtcNow;
        while (DateTime.UtcNow - started < StatsDeadline)
        {
            queues = await reader.ReadAsync(default);
            if (queues.SingleOrDefault(q => q.Queue == QueueNames.Provider(deployment))?.Ready == 3)
            {
                break;
            }

            await Task.Delay(500);
        }

        reader.Source.ShouldBe("management-api");
        queues.Select(q => q.Queue).ShouldContain("retry.delay-5s"); // discovered, not from a fixed list
        queues.Single(q => q.Queue == QueueNames.Provider(deployment)).Ready.ShouldBe(3);
        queues.Select(q => q.Queue).ShouldBe(queues.Select(q => q.Queue).Order(StringComparer.Ordinal).ToList());
    }

    [Fact]
    public async Task ReadAsync_ManagementApiUnreachable_FallsBackToPassiveDeclares()
    {
        var (vhost, deployment) = await DeclareSystemQueuesAsync(publishToProvider: 2, extraQueue: null);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        // Port 1 on the loopback: nothing listens, the connection is refused.
        await using var reader = CreateReader(http, vhost, deployment, managementPort: 1);

        var queues = await reader.ReadAsync(default);

        reader.Source.ShouldBe("passive-declare");
        queues.Select(q => q.Queue).ShouldBe(
            [QueueNames.Intake, QueueNames.Outcomes, QueueNames.Provider(deployment)],
            ignoreOrder: true);
        var provider = queues.Single(q => q.Queue == QueueNames.Provider(deployment));
        provider.Ready.ShouldBe(2);
        provider.PublishRate.ShouldBeNull();
    }

    private RabbitMqQueueDepthReader CreateReader(HttpClient http, string vhost, string deployment, int managementPort)
    {
        var transport = new TransportOptions
        {
            Kind = TransportKind.RabbitMq,
            RabbitMq = new RabbitMqOptions
            {
                Host = fixture.Node.Host,
                Port = fixture.Node.AmqpPort,
                VirtualHost = vhost,
                Username = fixture.Node.Username,
                PasswordVariable = "DISPATCHER_IT_UNSET_PASSWORD_VARIABLE", // unset: the node's default guest password
                ManagementPort = managementPort,
            },
        };
        var catalog = new CatalogOptions();
        catalog.Deployments.Add(new DeploymentOptions { Id = deployment, ModelGroup = "gpt-test" });
        return new RabbitMqQueueDepthReader(http, Options.Create(transport), Options.Create(catalog), Options.Create(new IntakeOptions()), NullLogger<RabbitMqQueueDepthReader>.Instance);
    }

    private async Task<(string VirtualHost, string Deployment)> DeclareSystemQueuesAsync(int publishToProvider, string? extraQueue)
    {
        var deployment = "sim-" + Guid.NewGuid().ToString("N")[..6];
        using var env = await PipelineEnvironment.CreateAsync(fixture.Node, new { Deployments = new[] { PipelineEnvironment.Simulated(deployment) } });
        var vhost = env.VirtualHost;
        await using var connection = await env.ConnectionFactory().CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        foreach (var queue in new[] { QueueNames.Intake, QueueNames.Outcomes, QueueNames.Provider(deployment), extraQueue }.OfType<string>())
        {
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
        }

        for (var i = 0; i < publishToProvider; i++)
        {
            await channel.BasicPublishAsync(string.Empty, QueueNames.Provider(deployment), mandatory: true, new BasicProperties { Persistent = true }, new byte[] { 1 });
        }

        return (vhost, deployment);
    }
}
