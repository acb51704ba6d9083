using Dispatcher.Contracts;
using Integration.Tests.RabbitMq;
using Integration.Tests.Support;
using RabbitMQ.Client;

namespace Integration.Tests.Pipeline;

/// <summary>
/// A consumer that binds its own queue to the documented result exchanges before any result was
/// published finds them there: the dispatcher declares them when it starts.
/// </summary>
[Collection(RabbitNodeFixture.Name)]
public sealed class ResultExchangesTests(RabbitNodeFixture rabbit)
{
    [Fact]
    public async Task DispatcherStart_BeforeAnyResult_ResultExchangesExistToBindTo()
    {
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, new { Deployments = new[] { PipelineEnvironment.Simulated("exchanges") } });
        await using var dispatcher = ProgramProcess.Start("Dispatcher.Host", env.Variables);
        await env.WaitForConsumersAsync(dispatcher, QueueNames.Intake);

        await using var connection = await env.ConnectionFactory().CreateConnectionAsync();
        foreach (var exchange in new[] { QueueNames.SucceededExchange, QueueNames.FailedExchange })
        {
            await using var channel = await connection.CreateChannelAsync();
            var queue = (await channel.QueueDeclareAsync(exclusive: true)).QueueName;
            // Binding to an exchange nobody declared closes the channel with 404 NOT_FOUND.
            await channel.QueueBindAsync(queue, exchange, "");
        }
    }
}
