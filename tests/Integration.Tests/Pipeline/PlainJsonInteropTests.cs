using System.Text;
using System.Text.Json;
using Dispatcher.Contracts;
using Integration.Tests.RabbitMq;
using Integration.Tests.Support;
using RabbitMQ.Client;

namespace Integration.Tests.Pipeline;

/// <summary>A producer and a consumer that know nothing of .NET: plain AMQP, plain JSON.</summary>
[Collection(RabbitNodeFixture.Name)]
public sealed class PlainJsonInteropTests(RabbitNodeFixture rabbit) : IAsyncLifetime
{
    private PipelineEnvironment _env = null!;
    private ProgramProcess _dispatcher = null!;
    private ProgramProcess _workers = null!;
    private IConnection _connection = null!;
    private IChannel _channel = null!;
    private string _results = null!;

    public async Task InitializeAsync()
    {
        _env = await PipelineEnvironment.CreateAsync(rabbit.Node, new { Deployments = new[] { PipelineEnvironment.Simulated("interop") } });
        _dispatcher = ProgramProcess.Start("Dispatcher.Host", _env.Variables);
        _workers = ProgramProcess.Start("Workers.Host", _env.Variables);
        _connection = await _env.ConnectionFactory().CreateConnectionAsync();
        _channel = await _connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));

        // A consumer of our own: a queue bound to both documented result exchanges.
        _results = "my-results";
        await _channel.QueueDeclareAsync(_results, durable: true, exclusive: false, autoDelete: false);
        foreach (var exchange in new[] { QueueNames.SucceededExchange, QueueNames.FailedExchange })
        {
            await _channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true);
            await _channel.QueueBindAsync(_results, exchange, "");
        }

        await _env.WaitForConsumersAsync(_dispatcher, QueueNames.Intake, QueueNames.Provider("interop"));
    }

    public async Task DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
        await _workers.DisposeAsync();
        await _dispatcher.DisposeAsync();
        _env.Dispose();
    }

    [Fact]
    public async Task PlainJsonJob_PublishedToIntakeExchange_ResultArrivesAsJsonOnOwnQueue()
    {
        await PublishAsync("""
            {"customId":"plain-1","modelGroup":"gpt-test","batchId":"plain-batch",
             "body":{"model":"gpt-test","messages":[{"role":"user","content":"hi"}],"max_tokens":8,"vendor_extension":{"x":1}}}
            """);

        var result = await NextResultAsync();

        result.GetProperty("messageType")[0].GetString().ShouldBe("urn:message:Dispatcher.Contracts:CompletionSucceeded");
        var message = result.GetProperty("message");
        message.GetProperty("customId").GetString().ShouldBe("plain-1");
        message.GetProperty("batchId").GetString().ShouldBe("plain-batch");
        message.GetProperty("deploymentId").GetString().ShouldBe("interop");
        message.GetProperty("response").GetProperty("choices")[0].GetProperty("message").GetProperty("role").GetString().ShouldBe("assistant");
        message.GetProperty("usage").GetProperty("completionTokens").GetInt32().ShouldBeGreaterThan(0);
        message.GetProperty("cost").ValueKind.ShouldBe(JsonValueKind.Number, "cost is a JSON number, as the README shows");
        message.GetProperty("cost").GetDecimal().ShouldBeGreaterThan(0m);
    }

    [Fact]
    public async Task PlainJsonChunk_ManyJobsInOneMessage_OneResultEach()
    {
        var ids = Enumerable.Range(1, 5).Select(i => $"chunk-{i}").ToArray();
        var jobs = ids.Select(id => new
        {
            jobId = Guid.NewGuid(),
            customId = id,
            modelGroup = "gpt-test",
            batchId = "plain-chunk",
            body = new { model = "gpt-test", messages = new[] { new { role = "user", content = id } }, max_tokens = 8 },
        });

        await PublishAsync(JsonSerializer.Serialize(new { jobs }));
        var results = new List<string>();
        for (var i = 0; i < ids.Length; i++)
        {
            results.Add((await NextResultAsync()).GetProperty("message").GetProperty("customId").GetString()!);
        }

        results.ShouldBe(ids, ignoreOrder: true);
        (await DeadLetteredAsync(QueueNames.Intake + "_error")).ShouldBe(0u, "the single-job reading of the chunk must not fault it");
    }

    [Fact]
    public async Task PoisonMessages_AreDeadLetteredWithReason_AndIntakeKeepsConsuming()
    {
        await PublishAsync("\u0001\u0002 this is not json");
        await PublishAsync("""{"modelGroup":"gpt-test","body":{"model":"gpt-test","messages":[]}}""");
        await PublishAsync("""{"customId":"no-body","modelGroup":"gpt-test"}""");
        await PublishAsync("""{"customId":"text-body","modelGroup":"gpt-test","body":"hello"}""");
        await PublishAsync("""{"customId":"streamed","modelGroup":"gpt-test","body":{"model":"gpt-test","stream":true,"messages":[{"role":"user","content":"hi"}]}}""");
        await PublishAsync("""{"customId":"after-poison","modelGroup":"gpt-test","body":{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}}""");

        var result = await NextResultAsync();
        result.GetProperty("message").GetProperty("customId").GetString().ShouldBe("after-poison");

        var reasons = new List<string>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (reasons.Count < 5 && DateTime.UtcNow < deadline)
        {
            var dead = await _channel.BasicGetAsync(QueueNames.Intake + "_error", autoAck: true);
            if (dead is null)
            {
                await Task.Delay(100);
                continue;
            }

            var header = dead.BasicProperties.Headers?["MT-Fault-Message"];
            reasons.Add(header is byte[] bytes ? Encoding.UTF8.GetString(bytes) : header?.ToString() ?? "");
        }

        reasons.Count.ShouldBe(5, string.Join('\n', reasons));
        reasons.ShouldContain(r => r.Contains("field customId", StringComparison.Ordinal));
        reasons.ShouldContain(r => r.Contains("job no-body, field body: required", StringComparison.Ordinal), string.Join('\n', reasons));
        reasons.ShouldContain(r => r.Contains("job text-body, field body", StringComparison.Ordinal), string.Join('\n', reasons));
        reasons.ShouldContain(r => r.Contains("job streamed, field body.stream: must be false or absent", StringComparison.Ordinal), string.Join('\n', reasons));
        _dispatcher.HasExited.ShouldBeFalse();
    }

    // Messages in an error queue; none when it was never created (nothing was ever dead-lettered).
    private async Task<uint> DeadLetteredAsync(string queue)
    {
        await using var channel = await _connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return 0;
        }
    }

    private async Task PublishAsync(string json)
    {
        var properties = new BasicProperties { Persistent = true, ContentType = "application/json", MessageId = Guid.NewGuid().ToString() };
        await _channel.BasicPublishAsync(QueueNames.Intake, "", mandatory: true, properties, Encoding.UTF8.GetBytes(json));
    }

    private async Task<JsonElement> NextResultAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var delivery = await _channel.BasicGetAsync(_results, autoAck: true);
            if (delivery is not null)
            {
                return JsonDocument.Parse(delivery.Body).RootElement.Clone();
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"no result arrived; dispatcher output:\n{_dispatcher.Output}\nworkers:\n{_workers.Output}");
    }
}
