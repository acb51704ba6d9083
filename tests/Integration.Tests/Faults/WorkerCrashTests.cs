using Dapper;
using Dispatcher.Contracts;
using Integration.Tests.RabbitMq;
using Integration.Tests.Support;

namespace Integration.Tests.Faults;

/// <summary>A worker process killed (as kill -9 would) in the middle of a batch, on a real broker.</summary>
[Collection(RabbitNodeFixture.Name)]
public sealed class WorkerCrashTests(RabbitNodeFixture rabbit)
{
    private const int Jobs = 400;

    [Fact]
    public async Task SubmitWait_WorkersKilledMidBatchThenReplaced_UnackedWorkRedeliveredAndEveryJobEndsOnce()
    {
        string callLog = "";
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, folder =>
        {
            callLog = Path.Combine(folder, "calls.jsonl");
            return new
            {
                // Slow enough calls that the worker always has calls in flight and more prefetched.
                Deployments = new[]
                {
                    FaultCatalog.Simulated("crash-a", callLog, latencyMs: 200),
                    FaultCatalog.Simulated("crash-b", callLog, latencyMs: 200),
                },
                ModelGroups = new[] { FaultCatalog.ModelGroup("round-robin", maxAttempts: 4) },
            };
        });
        var batch = env.WriteBatch(Jobs);
        var outDir = Path.Combine(env.Folder, "out");
        await using var dispatcher = ProgramProcess.Start("Dispatcher.Host", env.Variables);
        var killed = ProgramProcess.Start("Workers.Host", env.Variables);
        await using var _ = killed;
        await env.WaitForConsumersAsync(dispatcher, QueueNames.Intake, QueueNames.Provider("crash-a"), QueueNames.Provider("crash-b"));
        await using var submitter = ProgramProcess.Start(
            "Submitter", env.Variables, "submit", batch, "--wait", "--batch-id", "crash-batch", "--out", outDir, "--timeout", "00:04:00");

        await BatchOutcome.WaitForEndedAsync(env.LedgerPath, Jobs / 5, TimeSpan.FromMinutes(2), () => submitter.Output + dispatcher.Output + killed.Output);
        killed.Kill();
        await using var replacement = ProgramProcess.Start("Workers.Host", env.Variables);
        var exit = await submitter.WaitForExitAsync(TimeSpan.FromMinutes(5));

        var context = $"submitter:\n{submitter.Output}\ndispatcher:\n{dispatcher.Output}\nreplacement workers:\n{replacement.Output}";
        exit.ShouldBe(0, context);
        BatchOutcome.ShouldHaveOneLinePerCustomId(outDir, "crash-batch", Jobs, context);
        await using (var ledger = BatchOutcome.Open(env.LedgerPath))
        {
            (await ledger.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM jobs WHERE batch_id = 'crash-batch' AND state = 'succeeded'"))
                .ShouldBe(Jobs, "error-free deployments: every job succeeds");
            (await ledger.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM jobs WHERE batch_id = 'crash-batch' AND result_published = 0"))
                .ShouldBe(0, "every result event went out");
        }

        var calls = CallLog.Read(callLog);
        calls.Select(c => c.JobId).Distinct().Count().ShouldBe(Jobs, "every job reached a provider");
        var repeated = CallLog.Repeated(calls);
        repeated.ShouldNotBeEmpty("the kill cut calls short, so their work was redelivered and called again");
        // A call repeats only because the process that first took it died: the killed worker made one of them.
        repeated.Where(g => !g.Any(c => c.Pid == killed.Id)).Select(g => g.Key).ShouldBeEmpty();
        calls.Where(c => c.Pid == replacement.Id).ShouldNotBeEmpty("the replacement worker took over");
    }
}
