using Dapper;
using Dispatcher.Contracts;
using Integration.Tests.RabbitMq;
using Integration.Tests.Support;

namespace Integration.Tests.Faults;

/// <summary>
/// The broker restarted under a running batch: every process must find its way back by itself,
/// the transport's own reconnect helped, where an endpoint stays down after it, by each
/// process's receive endpoint watchdog.
/// </summary>
[Collection(RabbitNodeFixture.Name)]
public sealed class BrokerRestartMidBatchTests(RabbitNodeFixture rabbit)
{
    private const int Jobs = 400;

    [Fact]
    public async Task SubmitWait_BrokerRestartedMidBatch_ProcessesReconnectAndEveryJobEndsOnce()
    {
        string callLog = "";
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, folder =>
        {
            callLog = Path.Combine(folder, "calls.jsonl");
            return new
            {
                Deployments = new[]
                {
                    FaultCatalog.Simulated("restart-a", callLog, latencyMs: 200, maxParallel: 2),
                    FaultCatalog.Simulated("restart-b", callLog, latencyMs: 200, maxParallel: 2),
                },
                ModelGroups = new[] { FaultCatalog.ModelGroup("round-robin", maxAttempts: 4) },
            };
        });
        var batch = env.WriteBatch(Jobs);
        var outDir = Path.Combine(env.Folder, "out");
        await using var dispatcher = ProgramProcess.Start("Dispatcher.Host", env.Variables);
        await using var workers = ProgramProcess.Start("Workers.Host", env.Variables);
        await env.WaitForConsumersAsync(dispatcher, QueueNames.Intake, QueueNames.Provider("restart-a"), QueueNames.Provider("restart-b"));
        await using var submitter = ProgramProcess.Start(
            "Submitter", env.Variables, "submit", batch, "--wait", "--batch-id", "restart-batch", "--out", outDir, "--timeout", "00:05:00");

        // Four calls in flight at 200 ms: about 20 s of calls in all. The restart comes once a tenth
        // of them were made, so most of the batch is left for after it (a worker holds no more than
        // its prefetch while the broker is away).
        await WaitForCallsAsync(callLog, Jobs / 10, TimeSpan.FromMinutes(2), () => submitter.Output + dispatcher.Output + workers.Output);
        var stopping = DateTimeOffset.UtcNow;
        using (var restart = new CancellationTokenSource(TimeSpan.FromMinutes(3)))
        {
            await rabbit.Node.RestartAsync(restart.Token);
        }

        var restarted = DateTimeOffset.UtcNow;

        var exit = await submitter.WaitForExitAsync(TimeSpan.FromMinutes(6));

        var context = $"submitter:\n{submitter.Output}\ndispatcher:\n{dispatcher.Output}\nworkers:\n{workers.Output}";
        exit.ShouldBe(0, context);
        dispatcher.HasExited.ShouldBeFalse(context);
        workers.HasExited.ShouldBeFalse(context);
        BatchOutcome.ShouldHaveOneLinePerCustomId(outDir, "restart-batch", Jobs, context);
        await using var ledger = BatchOutcome.Open(env.LedgerPath);
        (await ledger.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM jobs WHERE batch_id = 'restart-batch' AND state = 'succeeded'"))
            .ShouldBe(Jobs, "error-free deployments: every job succeeds");
        var calls = CallLog.Read(callLog);
        calls.Select(c => c.JobId).Distinct().Count().ShouldBe(Jobs);
        calls.Count(c => c.At > restarted).ShouldBeGreaterThan(
            0,
            $"the batch was still under way when the broker came back, and the worker went on with it (restart {stopping:O} to {restarted:O}, last call {calls.Max(c => c.At):O})");
    }

    private static async Task WaitForCallsAsync(string callLog, int count, TimeSpan timeout, Func<string> context)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (Calls(callLog) < count)
        {
            deadline.IsCancellationRequested.ShouldBeFalse($"fewer than {count} provider calls within {timeout}:\n{context()}");
            await Task.Delay(100);
        }
    }

    // The lines of the call log so far; none while the worker holds it locked for a write.
    private static int Calls(string callLog)
    {
        try
        {
            return File.Exists(callLog) ? File.ReadLines(callLog).Count() : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
