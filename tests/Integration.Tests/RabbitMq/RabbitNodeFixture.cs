using Dispatcher.Testing;
using RabbitMQ.Client;

namespace Integration.Tests.RabbitMq;

/// <summary>
/// One private RabbitMQ node shared by every test in the "rabbitmq" collection. Those tests run one after
/// another, so a test may restart the broker; each test uses queues of its own.
/// </summary>
/// <remarks>The class is both the collection's definition and its fixture.</remarks>
[CollectionDefinition(Name)]
public sealed class RabbitNodeFixture : IAsyncLifetime, ICollectionFixture<RabbitNodeFixture>
{
    public const string Name = "rabbitmq";

    private PrivateRabbitNode? _node;

    public PrivateRabbitNode Node => _node ?? throw new InvalidOperationException("The RabbitMQ node has not been started.");

    /// <summary>A connection factory for the node, without automatic recovery so a broken connection fails the test.</summary>
    public ConnectionFactory CreateConnectionFactory(string clientName) => new()
    {
        Uri = Node.AmqpUri,
        ClientProvidedName = clientName,
        AutomaticRecoveryEnabled = false,
    };

    public async Task InitializeAsync() => _node = await PrivateRabbitNode.StartAsync();

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }
}
