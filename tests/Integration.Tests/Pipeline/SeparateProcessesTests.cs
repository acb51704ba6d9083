using System.Text.Json;
using Dispatcher.Contracts;
using Dispatcher.Ledger;
using Dispatcher.Testing;
using Integration.Tests.RabbitMq;
using Integration.Tests.Support;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Integration.Tests.Pipeline;

[Collection(RabbitNodeFixture.Name)]
public sealed class SeparateProcessesTests(RabbitNodeFixture rabbit)
{
    [Fact]
    public async Task Submit_BatchThroughSeparateDispatcherAndWorkerProcesses_OneResultPerCustomId()
    {
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, Catalog());

        await RunBatchAsync(env, env.Variables, new LedgerOptions { Path = env.LedgerPath });
    }

    [Fact]
    public async Task Submit_LedgerOnPostgres_OneResultPerCustomIdAndThePasswordNeverShown()
    {
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, Catalog());
        await using var postgres = await PrivatePostgresCluster.StartAsync();
        var password = "p" + Guid.NewGuid().ToString("N");
        await postgres.CreateRoleAsync("dispatcher", password);
        var connectionString = new NpgsqlConnectionStringBuilder(await postgres.CreateDatabaseAsync("ledger", owner: "dispatcher")) { Username = "dispatcher" }.ConnectionString;
        var variables = new Dictionary<string, string>(env.Variables)
        {
            ["DISPATCHER_Ledger__Provider"] = nameof(LedgerProvider.Postgres),
            ["DISPATCHER_Ledger__ConnectionString"] = connectionString,
            ["DISPATCHER_Ledger__PasswordVariable"] = "IT_LEDGER_PASSWORD",
            ["IT_LEDGER_PASSWORD"] = password,
        };

        var outputs = await RunBatchAsync(env, variables, new LedgerOptions { Provider = LedgerProvider.Postgres, ConnectionString = new NpgsqlConnectionStringBuilder(connectionString) { Password = password }.ConnectionString });

        File.Exists(env.LedgerPath).ShouldBeFalse("the ledger is in PostgreSQL, not in a file");
        outputs.ShouldNotContain(password);
    }

    [Fact]
    public async Task Submit_QuorumQueuesAndAnUnreachableFirstNode_OneResultPerCustomIdAndEveryDurableQueueQuorum()
    {
        // Deployments failing now and then: a job failed on all three waits in a retry delay queue
        // (about one in forty jobs), and enough attempts are allowed that none fails for good.
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, new
        {
            Deployments = new[] { "it-a", "it-b", "it-c" }.Select(id => PipelineEnvironment.Simulated(id, errorRate: 0.3)).ToArray(),
            ModelGroups = new[] { new { Name = "gpt-test", MaxAttempts = 40, Retry = new { BaseDelaySeconds = 0.2, Jitter = 0.0 } } },
        });
        var variables = new Dictionary<string, string>(env.Variables)
        {
            ["DISPATCHER_Transport__RabbitMq__QueueType"] = "quorum",
            // The first node listed refuses connections: every program goes on to the second.
            ["DISPATCHER_Transport__RabbitMq__Hosts__0"] = $"127.0.0.1:{ClosedPort()}",
            ["DISPATCHER_Transport__RabbitMq__Hosts__1"] = $"127.0.0.1:{rabbit.Node.AmqpPort}",
        };

        await RunBatchAsync(env, variables, new LedgerOptions { Path = env.LedgerPath });

        var types = await env.DurableQueueTypesAsync();
        types.Keys.ShouldContain(QueueNames.Intake);
        types.Keys.ShouldContain(QueueNames.Outcomes);
        types.Keys.ShouldContain(QueueNames.Provider("it-a"));
        types.Keys.ShouldContain(QueueNames.DeadLetters);
        types.Keys.ShouldContain(q => q.StartsWith(QueueNames.DelayPrefix, StringComparison.Ordinal), "jobs failed on every deployment were retried through a delay queue");
        types.Where(t => t.Value != "quorum").ShouldBeEmpty();
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static object Catalog() => new
    {
        Deployments = new[] { PipelineEnvironment.Simulated("it-a"), PipelineEnvironment.Simulated("it-b"), PipelineEnvironment.Simulated("it-c") },
    };

    // Runs a batch of 400 through a dispatcher, two worker processes and the Submitter, checks one
    // result per custom id in the files and in the ledger, and returns every program's output.
    private static async Task<string> RunBatchAsync(PipelineEnvironment env, IReadOnlyDictionary<string, string> variables, LedgerOptions ledgerOptions)
    {
        var batch = env.WriteBatch(400);
        var outDir = Path.Combine(env.Folder, "out");
        await using var dispatcher = ProgramProcess.Start("Dispatcher.Host", variables);
        // Two worker processes splitting the deployments between them, as a scaled-out deployment would.
        await using var workersAb = ProgramProcess.Start("Workers.Host", variables, "--Workers:Deployments:0=it-a", "--Workers:Deployments:1=it-b");
        await using var workersC = ProgramProcess.Start("Workers.Host", variables, "--Workers:Deployments:0=it-c");
        await env.WaitForConsumersAsync(dispatcher, QueueNames.Intake);

        await using var submitter = ProgramProcess.Start(
            "Submitter", variables, "submit", batch, "--wait", "--batch-id", "it-batch", "--out", outDir, "--timeout", "00:03:00");
        var exit = await submitter.WaitForExitAsync(TimeSpan.FromMinutes(4));

        exit.ShouldBe(0, $"submitter output:\n{submitter.Output}\ndispatcher:\n{dispatcher.Output}\nworkers:\n{workersAb.Output}{workersC.Output}");
        var lines = File.ReadAllLines(Path.Combine(outDir, "it-batch-output.jsonl"));
        lines.Length.ShouldBe(400);
        var customIds = lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()).ToList();
        customIds.Distinct().Count().ShouldBe(400);
        File.ReadAllLines(Path.Combine(outDir, "it-batch-errors.jsonl")).ShouldBeEmpty();

        await using var ledger = new JobLedger(Options.Create(ledgerOptions), TimeProvider.System);
        var shares = await ledger.GetDeploymentSharesAsync("it-batch", default);
        shares.Select(s => s.DeploymentId).OrderBy(x => x).ShouldBe(["it-a", "it-b", "it-c"]);
        shares.Sum(s => s.Succeeded).ShouldBe(400);
        var status = (await ledger.GetBatchStatusAsync("it-batch", default))!;
        (status.Succeeded, status.Failed, status.Queued, status.Dispatched).ShouldBe((400L, 0L, 0L, 0L));

        // The queue depths are read from the management API every 2 s; that is no news for the log.
        dispatcher.Output.ShouldNotContain("HTTP request", Case.Insensitive, dispatcher.Output);
        submitter.Output.ShouldNotContain("Application started", Case.Insensitive, "the CLI prints only its own output");
        return string.Join('\n', dispatcher.Output, workersAb.Output, workersC.Output, submitter.Output);
    }
}
