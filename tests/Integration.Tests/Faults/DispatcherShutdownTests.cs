using Dapper;
using Dispatcher.Contracts;
using Integration.Tests.RabbitMq;
using Integration.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Integration.Tests.Faults;

/// <summary>
/// A dispatcher told to stop (SIGTERM) while another process holds its ledger locked, with
/// messages in hand that it cannot record, on a real broker.
/// </summary>
[Collection(RabbitNodeFixture.Name)]
public sealed class DispatcherShutdownTests(RabbitNodeFixture rabbit)
{
    private const int Jobs = 300;
    private const string Grace = "00:00:06";

    // The grace, then time for the runtime to start and end the process on a busy machine.
    private static readonly TimeSpan ExitDeadline = TimeSpan.FromSeconds(6 + 30);

    [Fact]
    public async Task Sigterm_LedgerLockedWithMessagesInHand_ExitsZeroWithinTheGraceAndTheNextDispatcherEndsEveryJob()
    {
        string callLog = "";
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, folder =>
        {
            callLog = Path.Combine(folder, "calls.jsonl");
            return new
            {
                // Slow enough calls that outcomes are still coming in when the ledger is locked.
                Deployments = new[] { FaultCatalog.Simulated("stop-a", callLog, latencyMs: 150, maxParallel: 8) },
                ModelGroups = new[] { FaultCatalog.ModelGroup("round-robin", maxAttempts: 4) },
            };
        });
        var variables = new Dictionary<string, string>(env.Variables) { ["DISPATCHER_Shutdown__GracePeriod"] = Grace };
        var batch = env.WriteBatch(Jobs);
        var stopped = ProgramProcess.Start("Dispatcher.Host", variables);
        await using var _ = stopped;
        await using var workers = ProgramProcess.Start("Workers.Host", variables);
        await env.WaitForConsumersAsync(stopped, QueueNames.Intake, QueueNames.Provider("stop-a"));
        await using (var submitter = ProgramProcess.Start("Submitter", variables, "submit", batch, "--batch-id", "stop-batch"))
        {
            (await submitter.WaitForExitAsync(TimeSpan.FromMinutes(2))).ShouldBe(0, submitter.Output);
        }

        await BatchOutcome.WaitForEndedAsync(env.LedgerPath, 20, TimeSpan.FromMinutes(2), () => stopped.Output + workers.Output);
        int exit;
        await using (var holder = new SqliteConnection($"Data Source={env.LedgerPath};Pooling=False"))
        {
            // Another process's write transaction: every write the dispatcher tries now waits for it.
            await holder.OpenAsync();
            await holder.ExecuteAsync("BEGIN EXCLUSIVE");
            await Task.Delay(TimeSpan.FromSeconds(2));
            (await EndedAsync(holder)).ShouldBeLessThan(Jobs, "jobs were still under way when the ledger was locked");

            await stopped.SignalAsync("TERM");
            exit = await stopped.WaitForExitAsync(ExitDeadline);
            await holder.ExecuteAsync("ROLLBACK");
        }

        exit.ShouldBe(0, stopped.Output);
        stopped.Output.ShouldNotContain("Unhandled exception", Case.Insensitive, stopped.Output);
        stopped.Output.ShouldContain("were not saved on stop", Case.Sensitive, "the quota levels' last save could not be made, and says so");

        await using var next = ProgramProcess.Start("Dispatcher.Host", variables);
        var context = () => $"stopped dispatcher:\n{stopped.Output}\nnext dispatcher:\n{next.Output}\nworkers:\n{workers.Output}";
        // Well inside the reconciler's queue allowance (5 min): what ends here was redelivered by the broker.
        await BatchOutcome.WaitForEndedAsync(env.LedgerPath, Jobs, TimeSpan.FromMinutes(2), context);
        await using (var ledger = BatchOutcome.Open(env.LedgerPath))
        {
            (await ledger.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM jobs WHERE batch_id = 'stop-batch' AND state = 'succeeded'"))
                .ShouldBe(Jobs, "error-free deployment: every job succeeds, none was lost");
        }

        next.Output.ShouldNotContain("re-driven", Case.Sensitive, "the abandoned messages came back from the broker, not from the reconciler");
        (await ErrorQueueDepthAsync(env)).ShouldBe(0u, "an abandoned message is returned to its queue, not parked as failed; " + context());

        await workers.SignalAsync("TERM");
        (await workers.WaitForExitAsync(ExitDeadline)).ShouldBe(0, workers.Output);
        workers.Output.ShouldNotContain("Unhandled exception", Case.Insensitive, workers.Output);
    }

    private static Task<long> EndedAsync(SqliteConnection connection) =>
        connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM jobs WHERE state IN ('succeeded', 'failed')");

    // Messages in every _error queue of the environment's virtual host.
    private static async Task<uint> ErrorQueueDepthAsync(PipelineEnvironment env)
    {
        await using var connection = await env.ConnectionFactory().CreateConnectionAsync();
        uint depth = 0;
        foreach (var queue in (await env.QueueNamesAsync()).Where(q => q.EndsWith("_error", StringComparison.Ordinal)))
        {
            await using var channel = await connection.CreateChannelAsync();
            depth += (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }

        return depth;
    }
}
