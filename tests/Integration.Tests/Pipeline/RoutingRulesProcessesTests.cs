using System.Text.Json;
using Dapper;
using Dispatcher.Contracts;
using Integration.Tests.Faults;
using Integration.Tests.RabbitMq;
using Integration.Tests.Support;

namespace Integration.Tests.Pipeline;

/// <summary>
/// Routing rules through the real programs as separate processes on a real broker: one batch whose
/// jobs say in their body's metadata which team they are for, a rule narrowing one team's jobs to
/// one deployment and one sending the other team's to another model group.
/// </summary>
[Collection(RabbitNodeFixture.Name)]
public sealed class RoutingRulesProcessesTests(RabbitNodeFixture rabbit)
{
    private const int Jobs = 60;
    private const string BatchId = "teams";

    [Fact]
    public async Task SubmitWait_JobsOfTwoTeamsAndPlain_EachCalledWhereItsRuleSaysWithTheRuleInItsReasonAndOneResultEach()
    {
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, folder =>
        {
            var calls = Path.Combine(folder, "calls.jsonl");
            return new
            {
                Deployments = new[]
                {
                    FaultCatalog.Simulated("general-a", calls, latencyMs: 5),
                    FaultCatalog.Simulated("general-b", calls, latencyMs: 5),
                    FaultCatalog.Simulated("red-only", calls, latencyMs: 5),
                    FaultCatalog.Simulated("blue-sim", calls, latencyMs: 5, group: "gpt-blue"),
                },
                ModelGroups = new object[]
                {
                    new
                    {
                        Name = FaultCatalog.Group,
                        Strategy = "round-robin",
                        Rules = new object[]
                        {
                            new { Name = "red-team", When = new Dictionary<string, object> { ["body.metadata.team"] = "red" }, Deployments = new[] { "red-only" } },
                            new { Name = "blue-team", When = new Dictionary<string, object> { ["body.metadata.team"] = new Dictionary<string, object> { ["$eq"] = "blue" } }, Group = "gpt-blue" },
                        },
                    },
                },
            };
        });
        var batch = WriteBatch(env.Folder);
        var outDir = Path.Combine(env.Folder, "out");
        await using var dispatcher = ProgramProcess.Start("Dispatcher.Host", env.Variables);
        await using var workers = ProgramProcess.Start("Workers.Host", env.Variables);
        await env.WaitForConsumersAsync(dispatcher, QueueNames.Intake, QueueNames.Provider("red-only"), QueueNames.Provider("blue-sim"));
        await using var submitter = ProgramProcess.Start(
            "Submitter", env.Variables, "submit", batch, "--wait", "--batch-id", BatchId, "--out", outDir, "--timeout", "00:04:00");

        var exit = await submitter.WaitForExitAsync(TimeSpan.FromMinutes(5));

        var context = $"submitter:\n{submitter.Output}\ndispatcher:\n{dispatcher.Output}\nworkers:\n{workers.Output}";
        exit.ShouldBe(0, context);
        BatchOutcome.ShouldHaveOneLinePerCustomId(outDir, BatchId, Jobs, context);
        await using var ledger = BatchOutcome.Open(env.LedgerPath);
        var jobs = (await ledger.QueryAsync<(string JobId, string CustomId, string State, string? DeploymentId, string? RouteReason)>(
            "SELECT job_id, custom_id, state, deployment_id, route_reason FROM jobs WHERE batch_id = @BatchId", new { BatchId })).ToList();
        jobs.Count.ShouldBe(Jobs);
        var calls = CallLog.Read(Path.Combine(env.Folder, "calls.jsonl"));
        var calledAt = calls.ToLookup(c => c.JobId, c => c.Deployment);
        foreach (var job in jobs)
        {
            job.State.ShouldBe("succeeded", job.CustomId);
            var called = calledAt[Guid.Parse(job.JobId)].ToList();
            called.ShouldNotBeEmpty(job.CustomId);
            switch (Team(job.CustomId))
            {
                case "red":
                    called.ShouldAllBe(d => d == "red-only", job.CustomId);
                    job.RouteReason.ShouldNotBeNull().ShouldStartWith("rule 0 'red-team' of gpt-test matched; round-robin chose red-only", Case.Sensitive, job.CustomId);
                    break;
                case "blue":
                    called.ShouldAllBe(d => d == "blue-sim", job.CustomId);
                    job.RouteReason.ShouldNotBeNull().ShouldStartWith("rule 1 'blue-team' of gpt-test sent the job to gpt-blue; round-robin chose blue-sim", Case.Sensitive, job.CustomId);
                    break;
                default:
                    called.ShouldAllBe(d => d != "blue-sim", $"{job.CustomId}: no rule sends a plain job to gpt-blue");
                    job.RouteReason.ShouldNotBeNull().ShouldStartWith("round-robin chose ", Case.Sensitive, $"{job.CustomId}: no rule matched");
                    break;
            }

            job.DeploymentId.ShouldBe(called[^1], job.CustomId);
        }

        // Round robin over the whole group spread the plain jobs: the narrowing applied to red jobs only.
        jobs.Where(j => Team(j.CustomId) == "plain").Select(j => j.DeploymentId).Distinct().Count().ShouldBeGreaterThan(1);
        calls.Select(c => c.JobId).Distinct().Count().ShouldBe(Jobs, "every job of the batch was called, and nothing else");
    }

    // req-1, req-4, …: red; req-2, req-5, …: blue; the rest carry no team.
    private static string Team(string customId) => (int.Parse(customId["req-".Length..], System.Globalization.CultureInfo.InvariantCulture) % 3) switch
    {
        1 => "red",
        2 => "blue",
        _ => "plain",
    };

    private static string WriteBatch(string folder)
    {
        var path = Path.Combine(folder, "teams.jsonl");
        File.WriteAllLines(path, Enumerable.Range(1, Jobs).Select(i =>
        {
            var team = Team($"req-{i}");
            var body = new Dictionary<string, object>
            {
                ["model"] = FaultCatalog.Group,
                ["messages"] = new[] { new { role = "user", content = $"question {i}" } },
                ["max_tokens"] = 16,
            };
            if (team != "plain")
            {
                body["metadata"] = new { team };
            }

            return JsonSerializer.Serialize(new { custom_id = $"req-{i}", method = "POST", url = "/v1/chat/completions", body });
        }));
        return path;
    }
}
