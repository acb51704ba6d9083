using System.Globalization;
using Dapper;
using Dispatcher.Contracts;
using Integration.Tests.RabbitMq;
using Integration.Tests.Support;

namespace Integration.Tests.Faults;

/// <summary>Deployments answering most calls with 429 and a Retry-After: jobs wait the pause out instead of hammering.</summary>
[Collection(RabbitNodeFixture.Name)]
public sealed class RateLimitStormTests(RabbitNodeFixture rabbit)
{
    private const int Jobs = 60;
    private const double RateLimitRate = 0.6;
    private const double RetryAfterSeconds = 2;
    private const int MaxAttempts = 30;

    // A routing decision taken just before the 429 was settled is written to the ledger just
    // after it; the pause binds every decision from the settle on.
    private static readonly TimeSpan SettleSlack = TimeSpan.FromMilliseconds(500);

    // Both times come from the dispatcher's wall clock, the pause from its monotonic clock.
    private static readonly TimeSpan ClockSlack = TimeSpan.FromMilliseconds(100);

    [Fact]
    public async Task SubmitWait_DeploymentsAnswer429WithRetryAfter_NoCallInsidePauseAndEveryJobEnds()
    {
        string callLog = "";
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, folder =>
        {
            callLog = Path.Combine(folder, "calls.jsonl");
            return new
            {
                Deployments = new[] { "storm-a", "storm-b", "storm-c" }
                    .Select(id => FaultCatalog.Simulated(id, callLog, latencyMs: 20, rateLimitRate: RateLimitRate, retryAfterSeconds: RetryAfterSeconds))
                    .ToArray(),
                // Backoff capped near the Retry-After, so the unluckiest jobs of the storm still end within minutes.
                ModelGroups = new[]
                {
                    new { Name = FaultCatalog.Group, Strategy = "round-robin", MaxAttempts, Retry = new { BaseDelaySeconds = 0.5, MaxDelaySeconds = 4.0 } },
                },
            };
        });
        var batch = env.WriteBatch(Jobs);
        var outDir = Path.Combine(env.Folder, "out");
        await using var dispatcher = ProgramProcess.Start("Dispatcher.Host", env.Variables);
        await using var workers = ProgramProcess.Start("Workers.Host", env.Variables);
        await env.WaitForConsumersAsync(dispatcher, QueueNames.Intake, QueueNames.Provider("storm-a"));
        await using var submitter = ProgramProcess.Start(
            "Submitter", env.Variables, "submit", batch, "--wait", "--batch-id", "storm-batch", "--out", outDir, "--timeout", "00:06:00");

        var exit = await submitter.WaitForExitAsync(TimeSpan.FromMinutes(7));

        var context = $"submitter:\n{submitter.Output}\ndispatcher:\n{dispatcher.Output}\nworkers:\n{workers.Output}";
        exit.ShouldBe(0, context);
        BatchOutcome.ShouldHaveOneLinePerCustomId(outDir, "storm-batch", Jobs, context);

        await using var ledger = BatchOutcome.Open(env.LedgerPath);
        var attempts = (await ledger.QueryAsync<AttemptTimes>(
            """
            SELECT a.job_id AS JobId, a.attempt AS Attempt, a.deployment_id AS DeploymentId, a.error_kind AS ErrorKind,
                   a.dispatched_at AS DispatchedAt, a.recorded_at AS RecordedAt
            FROM attempts a JOIN jobs j ON j.job_id = a.job_id WHERE j.batch_id = 'storm-batch'
            """)).ToList();
        var limited = attempts.Where(a => a.ErrorKind == nameof(ErrorKind.RateLimited)).ToList();
        limited.Count.ShouldBeGreaterThan(Jobs / 2, "the storm happened");
        attempts.ShouldAllBe(a => a.DispatchedAt != null, "every attempt's send time is in the ledger");

        // The guarantee: once the dispatcher knows of a 429, nothing is sent to that deployment
        // until its Retry-After has passed.
        var pauses = limited.Select(l => (l.DeploymentId, From: Time(l.RecordedAt), Until: Time(l.RecordedAt) + TimeSpan.FromSeconds(RetryAfterSeconds))).ToList();
        var insidePause = attempts
            .SelectMany(a => pauses
                .Where(p => p.DeploymentId == a.DeploymentId
                    && Time(a.DispatchedAt!) > p.From + SettleSlack
                    && Time(a.DispatchedAt!) < p.Until - ClockSlack)
                .Select(p => $"{a.JobId} attempt {a.Attempt} sent to {a.DeploymentId} at {a.DispatchedAt}, inside the pause {p.From:O}..{p.Until:O}"))
            .Take(10)
            .ToList();
        insidePause.ShouldBeEmpty();

        // Bounded: no job near its attempt limit, and about 1 / (1 - rate) attempts per job in all.
        var perJob = attempts.GroupBy(a => a.JobId).Select(g => g.Count()).ToList();
        perJob.Max().ShouldBeLessThan(MaxAttempts);
        attempts.Count.ShouldBeLessThanOrEqualTo((int)(3 * Jobs / (1 - RateLimitRate)), "attempts stay near the expected 1 / (1 - rate) per job");
        (await ledger.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM jobs WHERE batch_id = 'storm-batch' AND state = 'succeeded'")).ShouldBe(Jobs);

        // The provider saw each attempt once: retries are new attempts, never repeated calls.
        var calls = CallLog.Read(callLog);
        CallLog.Repeated(calls).Select(g => g.Key).ShouldBeEmpty();
        calls.Count.ShouldBe(attempts.Count);
    }

    private static DateTimeOffset Time(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);

    private sealed record AttemptTimes(string JobId, long Attempt, string DeploymentId, string ErrorKind, string? DispatchedAt, string RecordedAt);
}
