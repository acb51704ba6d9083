using Dapper;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Integration.Tests.Faults;
using Integration.Tests.RabbitMq;
using Integration.Tests.Support;
using Xunit.Abstractions;

namespace Integration.Tests.Pipeline;

/// <summary>
/// A <c>weighted-adaptive</c> group through the real programs as separate processes on a real
/// broker: of two deployments of equal configured weight, one fails half its calls and answers
/// ten times slower; once measured, the healthy one takes most of the calls and every job ends
/// succeeded, the failed attempts retried on the healthy one.
/// </summary>
[Collection(RabbitNodeFixture.Name)]
public sealed class AdaptiveRoutingProcessesTests(RabbitNodeFixture rabbit, ITestOutputHelper output)
{
    private const int WarmupJobs = 100;
    private const int Jobs = 300;

    // Quota to spare, so only the weights decide. The worker's breaker around the calls would open
    // on a deployment failing half of them and take it out of the test; a ratio of 1 keeps it closed.
    private static object Deployment(string id, string callLog, double latencyMs, double errorRate) => new
    {
        Id = id,
        ModelGroup = FaultCatalog.Group,
        Provider = "Simulated",
        MaxParallel = 8,
        Rpm = 1_000_000,
        Tpm = 1_000_000_000,
        BurstFraction = 1.0,
        Breaker = new { FailureRatio = 1.0 },
        Simulation = new { LatencyMs = latencyMs, LatencySigma = 0.2, ErrorRate = errorRate, CallLogPath = callLog },
    };

    [Fact]
    public async Task SubmitWait_OneDeploymentFailingHalfItsCalls_HealthyOneTakesMostCallsAndEveryJobSucceeds()
    {
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, folder => new
        {
            Deployments = new[]
            {
                Deployment("healthy", Path.Combine(folder, "calls.jsonl"), latencyMs: 10, errorRate: 0),
                Deployment("sick", Path.Combine(folder, "calls.jsonl"), latencyMs: 100, errorRate: 0.5),
            },
            ModelGroups = new[]
            {
                new
                {
                    Name = FaultCatalog.Group,
                    Strategy = StrategyNames.WeightedAdaptive,
                    MaxAttempts = 8,
                    Retry = new { BaseDelaySeconds = 0.1, MaxDelaySeconds = 0.5 },
                    // The dispatcher's breaker would take the sick deployment out too; the weights are under test.
                    Breaker = new { FailureRatio = 1.0, ConsecutiveFailures = 1_000 },
                },
            },
        });
        var warmup = env.WriteBatch(WarmupJobs, name: "warmup.jsonl");
        var batch = env.WriteBatch(Jobs);
        var outDir = Path.Combine(env.Folder, "out");
        await using var dispatcher = ProgramProcess.Start("Dispatcher.Host", env.Variables);
        await using var workers = ProgramProcess.Start("Workers.Host", env.Variables);
        await env.WaitForConsumersAsync(dispatcher, QueueNames.Intake, QueueNames.Provider("healthy"), QueueNames.Provider("sick"));

        // The warm-up is routed by the configured weights alone, half to each: both get measured, on
        // enough calls (about 50 each) that the sick one's success rate is not taken for much better
        // than a half. The measured batch is routed almost at once, by what the warm-up showed.
        await using (var first = ProgramProcess.Start(
            "Submitter", env.Variables, "submit", warmup, "--wait", "--batch-id", "warmup", "--out", outDir, "--timeout", "00:04:00"))
        {
            (await first.WaitForExitAsync(TimeSpan.FromMinutes(5))).ShouldBe(0, $"{first.Output}\ndispatcher:\n{dispatcher.Output}");
        }

        await using var submitter = ProgramProcess.Start(
            "Submitter", env.Variables, "submit", batch, "--wait", "--batch-id", "measured", "--out", outDir, "--timeout", "00:04:00");
        var exit = await submitter.WaitForExitAsync(TimeSpan.FromMinutes(5));

        var context = $"submitter:\n{submitter.Output}\ndispatcher:\n{dispatcher.Output}\nworkers:\n{workers.Output}";
        exit.ShouldBe(0, context);
        BatchOutcome.ShouldHaveOneLinePerCustomId(outDir, "measured", Jobs, context);
        await using var ledger = BatchOutcome.Open(env.LedgerPath);
        var jobs = (await ledger.QueryAsync<(string JobId, string State, string DeploymentId)>(
            "SELECT job_id, state, COALESCE(deployment_id, '') FROM jobs WHERE batch_id = 'measured'")).ToList();
        jobs.Count.ShouldBe(Jobs);
        jobs.ShouldAllBe(j => j.State == "succeeded");
        var measured = jobs.Select(j => Guid.Parse(j.JobId)).ToHashSet();
        var calls = CallLog.Read(Path.Combine(env.Folder, "calls.jsonl")).Where(c => measured.Contains(c.JobId)).ToList();
        var failedOnSick = await ledger.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM attempts a JOIN jobs j ON j.job_id = a.job_id WHERE j.batch_id = 'measured' AND a.deployment_id = 'sick' AND a.error_kind = 'ServerError'");
        var healthyShare = (double)calls.Count(c => c.Deployment == "healthy") / calls.Count;
        var firstAttempts = calls.Where(c => c.Attempt == 1).ToList();
        var healthyFirstShare = (double)firstAttempts.Count(c => c.Deployment == "healthy") / firstAttempts.Count;
        var figures = $"healthy took {healthyShare:P1} of {calls.Count} calls and {healthyFirstShare:P1} of {firstAttempts.Count} first attempts; {failedOnSick} calls failed on sick";

        // By the configured weights alone, half the first attempts would go to each, and half of
        // the sick one's fail and are retried on the healthy one (a job is not sent back to a
        // deployment that failed it while another can take it): the healthy one would take 50 %
        // of first attempts and 0.75 ÷ 1.25 = 60 % of calls. Failing half its calls, the sick
        // one's score is at most a third of the healthy one's as long as it is no faster per token
        // (it is configured ten times slower), so its weight is at most 1/3 against 1: the
        // healthy one takes at least 75 % of first attempts and 0.875 ÷ 1.125 = 78 % of calls (more
        // in practice, speed counting too). Each bound sits between the two, about four standard
        // deviations of a few hundred draws (2.5-3 %) from either, so neither a lucky draw without
        // the weights nor an unlucky one with them crosses it.
        healthyFirstShare.ShouldBeGreaterThan(0.65, figures);
        healthyShare.ShouldBeGreaterThan(0.70, figures);
        failedOnSick.ShouldBeGreaterThan(0, $"the sick deployment was still tried now and then; {figures}");
        calls.Count.ShouldBe(Jobs + (int)failedOnSick, $"one call per job and one more per failure, each retried on the healthy one; {figures}");
        output.WriteLine(figures);
    }
}
