using System.Text;
using Dapper;
using Dispatcher.Contracts;
using Integration.Tests.RabbitMq;
using Integration.Tests.Support;
using Microsoft.Data.Sqlite;
using RabbitMQ.Client;

namespace Integration.Tests.Pipeline;

[Collection(RabbitNodeFixture.Name)]
public sealed class PriorityTests(RabbitNodeFixture rabbit)
{
    [Fact]
    public async Task Backlog_HigherPriorityJobs_AreTakenFirst()
    {
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, new { Deployments = new[] { PipelineEnvironment.Simulated("prio") } });
        var ledgerDb = env.LedgerPath;
        await using (var first = ProgramProcess.Start("Dispatcher.Host", env.Variables))
        {
            await env.WaitForConsumersAsync(first, QueueNames.Intake);
        } // ended: the intake queue now exists as a priority queue, with nobody consuming

        await using (var connection = await env.ConnectionFactory().CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true)))
        {
            foreach (var (name, priority, count) in new[] { ("low", 0, 40), ("high", 9, 5) })
            {
                for (var i = 0; i < count; i++)
                {
                    var body = $$$"""{"customId":"{{{name}}}-{{{i}}}","modelGroup":"gpt-test","batchId":"prio","priority":{{{priority}}},"body":{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}}""";
                    await channel.BasicPublishAsync(QueueNames.Intake, "", true,
                        new BasicProperties { Persistent = true, ContentType = "application/json", MessageId = Guid.NewGuid().ToString(), Priority = (byte)priority },
                        Encoding.UTF8.GetBytes(body));
                }
            }
        }

        // One intake consumer at a time makes the order the dispatcher took jobs in observable.
        var variables = new Dictionary<string, string>(env.Variables) { ["DISPATCHER_Intake__ConcurrentMessageLimit"] = "1" };
        await using var dispatcher = ProgramProcess.Start("Dispatcher.Host", variables);
        await using var workers = ProgramProcess.Start("Workers.Host", env.Variables);
        var order = new List<string>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (order.Count < 45 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
            if (File.Exists(ledgerDb))
            {
                await using var c = new SqliteConnection($"Data Source={ledgerDb};Mode=ReadOnly");
                order = (await c.QueryAsync<string>("SELECT custom_id FROM jobs ORDER BY rowid")).ToList();
            }
        }

        order.Count.ShouldBe(45, dispatcher.Output);
        order.Take(5).ShouldAllBe(id => id.StartsWith("high-", StringComparison.Ordinal), string.Join(", ", order.Take(10)));
    }
}
