using System.Text;
using Dispatcher.Contracts;
using Integration.Tests.RabbitMq;
using Integration.Tests.Support;
using RabbitMQ.Client;

namespace Integration.Tests.Faults;

/// <summary>
/// Garbage published straight to the queues between the dispatcher and the workers, by a raw
/// AMQP client: each message is dead-lettered with its reason, and the consumers keep going.
/// </summary>
[Collection(RabbitNodeFixture.Name)]
public sealed class PoisonMessageTests(RabbitNodeFixture rabbit)
{
    private const string Envelope = "application/vnd.masstransit+json";

    public static TheoryData<string> Queues => new() { QueueNames.Provider("poison-a"), QueueNames.Outcomes };

    [Theory]
    [MemberData(nameof(Queues))]
    public async Task Publish_GarbageToConsumerQueue_DeadLetteredWithReasonAndConsumersKeepRunning(string queue)
    {
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, folder => new
        {
            Deployments = new[] { FaultCatalog.Simulated("poison-a", Path.Combine(folder, "calls.jsonl"), latencyMs: 5) },
            ModelGroups = new[] { FaultCatalog.ModelGroup("round-robin", maxAttempts: 3) },
        });
        await using var dispatcher = ProgramProcess.Start("Dispatcher.Host", env.Variables);
        await using var workers = ProgramProcess.Start("Workers.Host", env.Variables);
        await env.WaitForConsumersAsync(dispatcher, QueueNames.Intake, QueueNames.Outcomes, QueueNames.Provider("poison-a"));
        var contract = queue == QueueNames.Outcomes ? nameof(CompletionAttempted) : nameof(CompletionWork);
        var garbage = new (string Name, string ContentType, string Body)[]
        {
            ("not JSON", Envelope, "this is {not json"),
            ("plain JSON, not an envelope", "application/json", """{"hello": "world"}"""),
            ("no content type", "", """{"jobId": 7}"""),
            ("envelope of the wrong shape", Envelope,
                $$$"""{"messageId": "{{{Guid.NewGuid()}}}", "messageType": ["urn:message:Dispatcher.Contracts:{{{contract}}}"], "message": {"jobId": 42, "deploymentId": ["x"], "attempt": "first"}}"""),
            ("envelope of an unknown message type", Envelope,
                $$$"""{"messageId": "{{{Guid.NewGuid()}}}", "messageType": ["urn:message:Somebody.Else:Unrelated"], "message": {"what": "ever"}}"""),
        };

        await using (var connection = await env.ConnectionFactory().CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true)))
        {
            foreach (var (name, contentType, body) in garbage)
            {
                var properties = new BasicProperties { Persistent = true, MessageId = Guid.NewGuid().ToString(), Type = name };
                if (contentType.Length > 0)
                {
                    properties.ContentType = contentType;
                }

                await channel.BasicPublishAsync("", queue, mandatory: true, properties, Encoding.UTF8.GetBytes(body));
            }
        }

        var deadLettered = await TakeAsync(env, queue + "_error", garbage.Length, TimeSpan.FromSeconds(60));

        var context = $"dispatcher:\n{dispatcher.Output}\nworkers:\n{workers.Output}";
        deadLettered.Select(m => m.BasicProperties.Type).Order().ShouldBe(garbage.Select(g => g.Name).Order(), context);
        foreach (var message in deadLettered)
        {
            var headers = message.BasicProperties.Headers ?? new Dictionary<string, object?>();
            var reason = headers.TryGetValue("MT-Fault-Message", out var fault) && fault is byte[] bytes ? Encoding.UTF8.GetString(bytes) : null;
            reason.ShouldNotBeNullOrWhiteSpace($"{message.BasicProperties.Type}: the reason is in MT-Fault-Message; headers: {string.Join(", ", headers.Keys)}");
        }

        (await MessageCountAsync(env, queue + "_skipped")).ShouldBe(0u, "nothing is set aside without a reason");

        // Still consuming: a batch submitted afterwards completes.
        var batch = env.WriteBatch(20);
        var outDir = Path.Combine(env.Folder, "out");
        await using var submitter = ProgramProcess.Start(
            "Submitter", env.Variables, "submit", batch, "--wait", "--batch-id", "after-poison", "--out", outDir, "--timeout", "00:02:00");
        (await submitter.WaitForExitAsync(TimeSpan.FromMinutes(3))).ShouldBe(0, $"submitter:\n{submitter.Output}\n{context}");
        BatchOutcome.ShouldHaveOneLinePerCustomId(outDir, "after-poison", 20, context);
        File.ReadAllLines(Path.Combine(outDir, "after-poison-errors.jsonl")).ShouldBeEmpty();
    }

    private static async Task<uint> MessageCountAsync(PipelineEnvironment env, string queue)
    {
        await using var connection = await env.ConnectionFactory().CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return 0; // never declared: nothing was ever skipped
        }
    }

    private static async Task<List<BasicGetResult>> TakeAsync(PipelineEnvironment env, string queue, int count, TimeSpan timeout)
    {
        await using var connection = await env.ConnectionFactory().CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var taken = new List<BasicGetResult>();
        var deadline = DateTime.UtcNow + timeout;
        while (taken.Count < count && DateTime.UtcNow < deadline)
        {
            BasicGetResult? message = null;
            try
            {
                message = await channel.BasicGetAsync(queue, autoAck: true);
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
            {
                // The error queue is declared on the first fault; the channel closed, so start over.
                return taken.Count == 0 && DateTime.UtcNow < deadline
                    ? await RetryAsync(env, queue, count, deadline)
                    : taken;
            }

            if (message is null)
            {
                await Task.Delay(200);
                continue;
            }

            taken.Add(message);
        }

        return taken;
    }

    private static async Task<List<BasicGetResult>> RetryAsync(PipelineEnvironment env, string queue, int count, DateTime deadline)
    {
        await Task.Delay(200);
        return await TakeAsync(env, queue, count, deadline - DateTime.UtcNow);
    }
}
