using System.Text;
using System.Text.Json;
using Dispatcher.Contracts;
using Dispatcher.Ledger;
using Integration.Tests.RabbitMq;
using Integration.Tests.Support;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Integration.Tests.Faults;

/// <summary>A dispatcher that died between marking a job's attempt sent and sending it, on a real broker.</summary>
[Collection(RabbitNodeFixture.Name)]
public sealed class DispatcherCrashTests(RabbitNodeFixture rabbit)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task IntakeMessage_RedeliveredAfterDispatcherDiedBeforeSending_CalledOnceAndNothingLeftReserved()
    {
        string callLog = "";
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, folder =>
        {
            callLog = Path.Combine(folder, "calls.jsonl");
            return new
            {
                Deployments = new[] { FaultCatalog.Simulated("crash-d", callLog, latencyMs: 20) },
                ModelGroups = new[] { new { Name = FaultCatalog.Group, Budget = new { Limit = 10.0, Period = "Day" } } },
            };
        });
        var jobId = Guid.NewGuid();

        // A dispatcher ran (declaring its queues) and died with the job's message in hand, after
        // marking its first attempt sent under a reservation of its own and before sending it.
        await using (var died = ProgramProcess.Start("Dispatcher.Host", env.Variables))
        {
            await env.WaitForConsumersAsync(died, QueueNames.Intake);
        }

        await MarkSentAsync(env.LedgerPath, jobId);
        await using (var connection = await env.ConnectionFactory().CreateConnectionAsync())
        {
            await using (var producer = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true)))
            {
                var json = JsonSerializer.Serialize(new
                {
                    jobId,
                    customId = "crashed",
                    modelGroup = FaultCatalog.Group,
                    batchId = "crash-redelivery",
                    body = new { model = FaultCatalog.Group, messages = new[] { new { role = "user", content = "hi" } }, max_tokens = 16 },
                });
                var properties = new BasicProperties { Persistent = true, ContentType = "application/json", MessageId = jobId.ToString() };
                await producer.BasicPublishAsync(QueueNames.Intake, "", mandatory: true, properties, Encoding.UTF8.GetBytes(json));
            }

            // Taken and never acknowledged: the broker delivers it again, marked redelivered.
            await using var consumer = await connection.CreateChannelAsync();
            (await consumer.BasicGetAsync(QueueNames.Intake, autoAck: false)).ShouldNotBeNull();
        }

        await using var dispatcher = ProgramProcess.Start("Dispatcher.Host", env.Variables);
        await using var workers = ProgramProcess.Start("Workers.Host", env.Variables);
        var output = () => $"dispatcher:\n{dispatcher.Output}\nworkers:\n{workers.Output}";
        await using (var ledger = Open(env.LedgerPath))
        {
            var ended = await EventuallyAsync(async () => await ledger.GetJobAsync(jobId.ToString(), default) is { State: JobState.Succeeded } job ? job : null, "the job to succeed", output);
            ended.Attempts.ShouldBe(1);
        }

        using var http = new HttpClient { BaseAddress = await dispatcher.ListeningUrlAsync(), Timeout = TimeSpan.FromSeconds(10) };
        var text = await EventuallyAsync(
            async () =>
            {
                var json = await http.GetStringAsync("api/status");
                using var doc = JsonDocument.Parse(json);
                return doc.RootElement.GetProperty("budgets")[0].GetProperty("reserved").GetDecimal() == 0
                    && doc.RootElement.GetProperty("deployments")[0].GetProperty("quota").GetProperty("inFlight").GetInt32() == 0 ? json : null;
            },
            "the attempt's reservations to be given back",
            () => output() + "\nlast status:\n" + http.GetStringAsync("api/status").GetAwaiter().GetResult());

        using (var status = JsonDocument.Parse(text))
        {
            status.RootElement.GetProperty("budgets")[0].GetProperty("spent").GetDecimal().ShouldBeGreaterThan(0m);
        }

        var calls = CallLog.Read(callLog).Where(c => c.JobId == jobId).ToList();
        calls.Count.ShouldBe(1, "the attempt that was never sent goes out once, from the redelivered message");
        calls[0].Attempt.ShouldBe(1);
    }

    // What the dead dispatcher left in the ledger: the job recorded and its first attempt marked
    // sent, under a reservation sequence of that process (below any the next process hands out).
    private static async Task MarkSentAsync(string ledgerPath, Guid jobId)
    {
        await using var ledger = Open(ledgerPath);
        await ledger.AcceptJobAsync(
            new NewJob(
                jobId.ToString(),
                "crash-redelivery",
                "crashed",
                FaultCatalog.Group,
                null,
                0,
                null,
                null,
                """{"model":"gpt-test","messages":[{"role":"user","content":"hi"}],"max_tokens":16}""",
                20,
                16),
            default);
        (await ledger.MarkDispatchedAsync(jobId.ToString(), "crash-d", 1, 1, "round-robin chose crash-d", replacing: null, default)).ShouldBeTrue();
    }

    private static JobLedger Open(string path) => new(Options.Create(new LedgerOptions { Path = path }), TimeProvider.System);

    private static async Task<T> EventuallyAsync<T>(Func<Task<T?>> read, string what, Func<string> context)
        where T : class
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (DateTime.UtcNow < deadline)
        {
            if (await read() is { } value)
            {
                return value;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"timed out waiting for {what}; {context()}");
    }
}
