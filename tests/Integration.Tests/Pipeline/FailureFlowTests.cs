using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dapper;
using Dispatcher.Contracts;
using Integration.Tests.RabbitMq;
using Integration.Tests.Support;
using Microsoft.Data.Sqlite;
using RabbitMQ.Client;
using Xunit.Abstractions;

namespace Integration.Tests.Pipeline;

/// <summary>The failure flow on a real broker with separate processes: breakers, retry delay queues, dead letters and replays.</summary>
[Collection(RabbitNodeFixture.Name)]
public sealed class FailureFlowTests(RabbitNodeFixture rabbit, ITestOutputHelper output)
{
    private const string BreakerEvents = "Dispatcher.Contracts:DeploymentBreakerChanged";

    [Fact]
    public async Task ProviderHardDown_BreakerOpensTrafficMovesAndProbeRestoresIt()
    {
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, new
        {
            QuotaWindow = "00:00:01",
            QuotaWindowPadding = 0.2,
            Deployments = new object[]
            {
                new
                {
                    Id = "primary", ModelGroup = "gpt-test", Provider = "Simulated", MaxParallel = 8, Rpm = 30, BurstFraction = 0.5,
                    InputPricePerMillion = 1.0, OutputPricePerMillion = 1.0,
                    // The worker's own breaker re-checks quickly, so the dispatcher's probes reach the provider soon after it is back.
                    Breaker = new { BreakDurationSeconds = 1 },
                    Simulation = new { LatencyMs = 5, LatencySigma = 0.2, OutageAfterSeconds = 6, OutageSeconds = 6 },
                },
                new
                {
                    Id = "backup", ModelGroup = "gpt-test", Provider = "Simulated", MaxParallel = 8, Rpm = 30, BurstFraction = 0.5,
                    InputPricePerMillion = 10.0, OutputPricePerMillion = 10.0,
                    Simulation = new { LatencyMs = 5, LatencySigma = 0.2 },
                },
            },
            ModelGroups = new[]
            {
                new
                {
                    Name = "gpt-test", Strategy = "cost-based", MaxAttempts = 8,
                    Breaker = new { ConsecutiveFailures = 3, BreakDurationSeconds = 1.5, HalfOpenProbes = 1 },
                },
            },
        });
        await using var events = await BindAsync(env, BreakerEvents);
        var batch = env.WriteBatch(600);
        var outDir = Path.Combine(env.Folder, "out");
        await using var workers = ProgramProcess.Start("Workers.Host", env.Variables);
        await using var dispatcher = ProgramProcess.Start("Dispatcher.Host", env.Variables);
        await env.WaitForConsumersAsync(dispatcher, QueueNames.Intake);

        await using var submitter = ProgramProcess.Start(
            "Submitter", env.Variables, "submit", batch, "--wait", "--batch-id", "down-batch", "--out", outDir, "--timeout", "00:04:00");
        var exit = await submitter.WaitForExitAsync(TimeSpan.FromMinutes(5));

        exit.ShouldBe(0, $"{submitter.Output}\ndispatcher:\n{dispatcher.Output}\nworkers:\n{workers.Output}");
        ReadCustomIds(Path.Combine(outDir, "down-batch-output.jsonl")).ShouldBe(Enumerable.Range(1, 600).Select(i => $"req-{i}"), ignoreOrder: true);
        await using var ledger = new SqliteConnection($"Data Source={env.LedgerPath};Mode=ReadOnly");
        var failedCalls = (await ledger.QueryAsync<string>(
            "SELECT recorded_at FROM attempts WHERE deployment_id = 'primary' AND error_kind = 'ServerError' ORDER BY recorded_at")).ToList();
        var fastFails = await ledger.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM attempts WHERE error_kind = 'CircuitOpen'");
        output.WriteLine(string.Join("; ", await ledger.QueryAsync<string>(
            "SELECT deployment_id || ': ' || COUNT(*) || ' jobs, first sent ' || MIN(dispatched_at) || ', last ' || MAX(dispatched_at) FROM jobs GROUP BY deployment_id")));
        failedCalls.ShouldNotBeEmpty("the outage happened while the batch ran");
        // Six seconds of outage at 30 calls a second would waste about 180 calls without breakers.
        failedCalls.Count.ShouldBeLessThanOrEqualTo(25, "breakers stop calls to a deployment that is down");

        var changes = await DrainAsync<DeploymentBreakerChanged>(events.Channel, events.Queue);
        var opened = changes.FirstOrDefault(c => c.DeploymentId == "primary" && c.To == BreakerState.Open);
        opened.ShouldNotBeNull($"a breaker event opened primary; events: {string.Join(", ", changes)}");
        changes.Last(c => c.DeploymentId == "primary").To.ShouldBe(BreakerState.Closed, "a probe closed it again once the provider was back");
        (await ledger.ExecuteScalarAsync<string>("SELECT state FROM breakers WHERE deployment_id = 'primary'")).ShouldBe("closed");
        var lastFailure = failedCalls[^1];
        (await ledger.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM jobs WHERE deployment_id = 'primary' AND state = 'succeeded' AND dispatched_at > @lastFailure", new { lastFailure }))
            .ShouldBeGreaterThan(0, "primary takes jobs again after the outage");

        var firstFailure = DateTimeOffset.Parse(failedCalls[0], CultureInfo.InvariantCulture);
        output.WriteLine(
            $"provider failure → breaker open: {(opened.ChangedAt - firstFailure).TotalMilliseconds:0} ms; " +
            $"failed provider calls: {failedCalls.Count}; calls the worker's breaker refused: {fastFails}; breaker changes: {string.Join(", ", changes.Select(c => $"{c.DeploymentId} {c.From}→{c.To}"))}");
    }

    [Fact]
    public async Task FailedAttempts_WaitInTtlDelayQueues_ThenSucceed()
    {
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, new
        {
            Deployments = new object[]
            {
                new
                {
                    Id = "solo", ModelGroup = "gpt-test", Provider = "Simulated", MaxParallel = 8,
                    InputPricePerMillion = 1.0, OutputPricePerMillion = 1.0,
                    Breaker = new { FailureRatio = 1.0, MinimumThroughput = 1_000_000 },
                    Simulation = new { LatencyMs = 2, LatencySigma = 0.2, ErrorRate = 0.3, Seed = 7 },
                },
            },
            ModelGroups = new[]
            {
                new
                {
                    Name = "gpt-test", MaxAttempts = 12,
                    Retry = new { BaseDelaySeconds = 0.25, MaxDelaySeconds = 0.5, Jitter = 0.0 },
                    Breaker = new { FailureRatio = 1.0, ConsecutiveFailures = 1_000_000, MinimumThroughput = 1_000_000 },
                },
            },
        });
        var batch = env.WriteBatch(120);
        var outDir = Path.Combine(env.Folder, "out");
        await using var workers = ProgramProcess.Start("Workers.Host", env.Variables);
        await using var dispatcher = ProgramProcess.Start("Dispatcher.Host", env.Variables);
        await env.WaitForConsumersAsync(dispatcher, QueueNames.Intake);

        await using var submitter = ProgramProcess.Start(
            "Submitter", env.Variables, "submit", batch, "--wait", "--batch-id", "retry-batch", "--out", outDir, "--timeout", "00:03:00");
        var exit = await submitter.WaitForExitAsync(TimeSpan.FromMinutes(4));

        exit.ShouldBe(0, $"{submitter.Output}\ndispatcher:\n{dispatcher.Output}\nworkers:\n{workers.Output}");
        ReadCustomIds(Path.Combine(outDir, "retry-batch-output.jsonl")).Count.ShouldBe(120);
        await using var ledger = new SqliteConnection($"Data Source={env.LedgerPath};Mode=ReadOnly");
        var retried = (await ledger.QueryAsync<(string Failed, string Sent)>(
            """
            SELECT a.recorded_at, j.dispatched_at FROM jobs j JOIN attempts a ON a.job_id = j.job_id AND a.attempt = j.attempts - 1
            WHERE j.state = 'succeeded' AND j.attempts >= 2
            """)).ToList();
        retried.Count.ShouldBeGreaterThan(10, "about 30% of first attempts fail");
        foreach (var (failed, sent) in retried)
        {
            var waited = DateTimeOffset.Parse(sent, CultureInfo.InvariantCulture) - DateTimeOffset.Parse(failed, CultureInfo.InvariantCulture);
            waited.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(240), "a retry waits out its delay in the broker");
        }

        var arguments = await QueueArgumentsAsync(env, "dispatcher-delay-250ms");
        arguments.GetProperty("x-message-ttl").GetInt32().ShouldBe(250);
        arguments.GetProperty("x-dead-letter-exchange").GetString().ShouldBe(QueueNames.Retries);
    }

    [Fact]
    public async Task DeadLetteredJobs_ListedThenReplayedThroughThePipeline()
    {
        // While the deployment is down its breaker holds jobs back, letting a few probes through
        // at a time; each probe that fails spends one of its job's two attempts.
        object Catalog(double errorRate) => new
        {
            Deployments = new object[]
            {
                new
                {
                    Id = "shaky", ModelGroup = "gpt-test", Provider = "Simulated", MaxParallel = 8,
                    Breaker = new { MinimumThroughput = 1_000_000 },
                    Simulation = new { LatencyMs = 2, ErrorRate = errorRate },
                },
            },
            ModelGroups = new[]
            {
                new { Name = "gpt-test", MaxAttempts = 2, Retry = new { BaseDelaySeconds = 0.1 }, Breaker = new { BreakDurationSeconds = 0.3, HalfOpenProbes = 5 } },
            },
        };
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, Catalog(1.0));
        var batch = env.WriteBatch(20);
        var outDir = Path.Combine(env.Folder, "out");
        await using var dispatcher = ProgramProcess.Start("Dispatcher.Host", env.Variables);
        await using (var failing = ProgramProcess.Start("Workers.Host", env.Variables))
        {
            await env.WaitForConsumersAsync(dispatcher, QueueNames.Intake);
            await using (var submitter = ProgramProcess.Start(
                "Submitter", env.Variables, "submit", batch, "--wait", "--batch-id", "dl-batch", "--out", outDir, "--timeout", "00:02:00"))
            {
                (await submitter.WaitForExitAsync(TimeSpan.FromMinutes(3))).ShouldBe(4, $"the batch ended with failed jobs\n{submitter.Output}");
            }

            File.ReadAllLines(Path.Combine(outDir, "dl-batch-errors.jsonl")).Length.ShouldBe(20);
            await using (var list = ProgramProcess.Start("Submitter", env.Variables, "dead-letters", "list", "--batch", "dl-batch", "--jsonl"))
            {
                (await list.WaitForExitAsync(TimeSpan.FromMinutes(1))).ShouldBe(0, list.Output);
                var listed = list.Output.Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToList();
                listed.Count.ShouldBe(20);
                listed.ShouldAllBe(j => j.GetProperty("error").GetString() == "ServerError" && j.GetProperty("history").GetArrayLength() == 2);
            }

            await using (var connection = await env.ConnectionFactory().CreateConnectionAsync())
            await using (var channel = await connection.CreateChannelAsync())
            {
                (await channel.QueueDeclarePassiveAsync(QueueNames.DeadLetters)).MessageCount.ShouldBe(20u, "every terminal failure is dead-lettered");
            }
        }

        // The provider recovers: workers restart with a healthy catalog, then the batch's failures are replayed.
        File.WriteAllText(env.ConfigPath, JsonSerializer.Serialize(new { Catalog = Catalog(0.0) }));
        await using var healthy = ProgramProcess.Start("Workers.Host", env.Variables);
        await env.WaitForConsumersAsync(healthy, QueueNames.Provider("shaky"));
        await using var replay = ProgramProcess.Start(
            "Submitter", env.Variables, "dead-letters", "replay", "--batch", "dl-batch", "--wait", "--out", outDir, "--timeout", "00:02:00");

        (await replay.WaitForExitAsync(TimeSpan.FromMinutes(3))).ShouldBe(0, $"{replay.Output}\ndispatcher:\n{dispatcher.Output}");
        ReadCustomIds(Path.Combine(outDir, "dl-batch-output.jsonl")).Count.ShouldBe(20);
        File.ReadAllLines(Path.Combine(outDir, "dl-batch-errors.jsonl")).ShouldBeEmpty();
    }

    private static List<string> ReadCustomIds(string path) =>
        File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()!).ToList();

    private static async Task<BoundQueue> BindAsync(PipelineEnvironment env, string exchange)
    {
        var connection = await env.ConnectionFactory().CreateConnectionAsync();
        var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false);
        var queue = (await channel.QueueDeclareAsync("it-" + Guid.NewGuid().ToString("N"), durable: false, exclusive: true, autoDelete: true)).QueueName;
        await channel.QueueBindAsync(queue, exchange, "");
        return new BoundQueue(connection, channel, queue);
    }

    private static async Task<List<T>> DrainAsync<T>(IChannel channel, string queue)
    {
        var messages = new List<T>();
        while (await channel.BasicGetAsync(queue, autoAck: true) is { } got)
        {
            // MassTransit's envelope carries the message under "message".
            using var envelope = JsonDocument.Parse(got.Body);
            messages.Add(envelope.RootElement.GetProperty("message").Deserialize<T>(new JsonSerializerOptions(JsonSerializerDefaults.Web))!);
        }

        return messages;
    }

    private async Task<JsonElement> QueueArgumentsAsync(PipelineEnvironment env, string queue)
    {
        using var http = new HttpClient { BaseAddress = rabbit.Node.ManagementUri };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{rabbit.Node.Username}:{rabbit.Node.Password}")));
        var json = await http.GetStringAsync($"api/queues/{env.VirtualHost}/{queue}");
        return JsonDocument.Parse(json).RootElement.GetProperty("arguments").Clone();
    }

    private sealed record BoundQueue(IConnection Connection, IChannel Channel, string Queue) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Channel.DisposeAsync();
            await Connection.DisposeAsync();
        }
    }
}
