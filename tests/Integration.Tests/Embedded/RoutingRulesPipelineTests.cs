using System.Text.Json;
using Dispatcher.Contracts;
using Integration.Tests.Support;
using MassTransit;

namespace Integration.Tests.Embedded;

public sealed class RoutingRulesPipelineTests
{
    private static object Deployment(string id, string group = "gpt-test", int priority = 0, string[]? tags = null) => new
    {
        Id = id,
        ModelGroup = group,
        Provider = "Simulated",
        Priority = priority,
        Tags = tags ?? [],
        Simulation = new { LatencyMs = 0.0, LatencySigma = 0.0, Seed = 1 },
    };

    private static JsonElement Body(bool tools = false, string? source = null) => JsonSerializer.SerializeToElement(new Dictionary<string, object?>
    {
        ["model"] = "gpt-test",
        ["messages"] = new[] { new { role = "user", content = "hello" } },
        ["max_tokens"] = 16,
        ["tools"] = tools ? new[] { new { type = "function", function = new { name = "lookup", parameters = new { type = "object" } } } } : null,
        ["metadata"] = source is null ? null : new { source },
    });

    private static async Task SubmitAsync(IBus bus, params SubmitCompletion[] jobs)
    {
        var intake = await bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Intake));
        foreach (var job in jobs)
        {
            await intake.Send(job);
        }
    }

    [Fact]
    public async Task Jobs_RoutedByTheirGroupsRules_ReachTheDeploymentsTheRulesChoseAndTheLedgerNamesTheRule()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(new
        {
            Deployments = new[]
            {
                Deployment("general", priority: 0),
                Deployment("for-x", priority: 1),
                Deployment("nightly", priority: 2),
                Deployment("bulk", priority: 3, tags: ["bulk"]),
                Deployment("tooling", group: "tools"),
            },
            ModelGroups = new object[]
            {
                new
                {
                    Name = "gpt-test",
                    Strategy = "priority",
                    Rules = new object[]
                    {
                        new { Name = "tenant-x", When = new Dictionary<string, object> { ["tenant"] = new Dictionary<string, object> { ["$eq"] = "x" } }, Deployments = new[] { "for-x" } },
                        new { Name = "tools", When = new Dictionary<string, object> { ["has_tools"] = true }, Group = "tools" },
                        new { Name = "nightly", When = new Dictionary<string, object> { ["batch.metadata.schedule"] = new Dictionary<string, object> { ["$in"] = new[] { "nightly", "weekly" } } }, Deployments = new[] { "nightly" } },
                        new { Name = "crawler", When = new Dictionary<string, object> { ["body.metadata.source"] = new Dictionary<string, object> { ["$regex"] = "^crawl" } }, Tags = new[] { "bulk" } },
                    },
                },
            },
        });
        await pipeline.Ledger.UpsertBatchAsync("nightly-batch", null, null, null, null, new Dictionary<string, string> { ["schedule"] = "nightly" }, default);
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        var jobs = new (SubmitCompletion Job, string Deployment, string Reason)[]
        {
            (new("x-1", "gpt-test", Body(), Tenant: "x"), "for-x", "rule 0 'tenant-x' of gpt-test matched; priority chose for-x"),
            (new("x-2", "gpt-test", Body(), Tenant: "x"), "for-x", "rule 0 'tenant-x' of gpt-test matched; priority chose for-x"),
            (new("x-tools", "gpt-test", Body(tools: true), Tenant: "x"), "for-x", "rule 0 'tenant-x' of gpt-test matched; priority chose for-x"),
            (new("tools-1", "gpt-test", Body(tools: true), Tenant: "y"), "tooling", "rule 1 'tools' of gpt-test sent the job to tools; round-robin chose tooling"),
            (new("tools-2", "gpt-test", Body(tools: true)), "tooling", "rule 1 'tools' of gpt-test sent the job to tools; round-robin chose tooling"),
            (new("night-1", "gpt-test", Body(), BatchId: "nightly-batch"), "nightly", "rule 2 'nightly' of gpt-test matched; priority chose nightly"),
            (new("crawl-1", "gpt-test", Body(source: "crawler")), "bulk", "rule 3 'crawler' of gpt-test matched; priority chose bulk"),
            (new("plain-1", "gpt-test", Body(), Tenant: "y"), "general", "priority chose general of 4 candidate(s)"),
            (new("plain-2", "gpt-test", Body(source: "manual")), "general", "priority chose general of 4 candidate(s)"),
        };
        jobs = [.. jobs.Select(j => (j.Job with { JobId = Guid.NewGuid() }, j.Deployment, j.Reason))];

        await SubmitAsync(pipeline.Bus, [.. jobs.Select(j => j.Job)]);
        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Count + recorder.Failed.Count >= jobs.Length, $"{jobs.Length} results");

        recorder.Failed.ShouldBeEmpty();
        var served = recorder.Succeeded.ToDictionary(r => r.CustomId, r => r.DeploymentId);
        foreach (var (job, deployment, reason) in jobs)
        {
            served[job.CustomId].ShouldBe(deployment, job.CustomId);
            var stored = await pipeline.Ledger.GetJobAsync(job.JobId.ToString(), default);
            stored!.RouteReason.ShouldNotBeNull();
            stored.RouteReason.ShouldStartWith(reason, Case.Sensitive, job.CustomId);
        }
    }

    [Fact]
    public async Task JobSentToAnotherGroup_ItsOnlyDeploymentFailsOnce_IsRetriedThereAndSucceeds()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(new
        {
            Deployments = new object[]
            {
                Deployment("general"),
                new
                {
                    Id = "tooling",
                    ModelGroup = "tools",
                    Provider = "Simulated",
                    // Down (503s) for its first half second.
                    Simulation = new { LatencyMs = 0.0, LatencySigma = 0.0, Seed = 1, OutageAfterSeconds = 0.0, OutageSeconds = 0.5 },
                },
            },
            ModelGroups = new object[]
            {
                new
                {
                    Name = "gpt-test",
                    MaxAttempts = 4,
                    Retry = new { BaseDelaySeconds = 1.0, Jitter = 0.0 },
                    Rules = new object[] { new { Name = "tools", When = new Dictionary<string, object> { ["has_tools"] = true }, Group = "tools" } },
                },
            },
        });
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        var job = new SubmitCompletion("tools-retried", "gpt-test", Body(tools: true), JobId: Guid.NewGuid());

        await SubmitAsync(pipeline.Bus, job);
        await EventRecorder.EventuallyAsync(() => !recorder.Succeeded.IsEmpty || !recorder.Failed.IsEmpty, "a result");

        recorder.Failed.ShouldBeEmpty();
        recorder.Succeeded.Single().DeploymentId.ShouldBe("tooling");
        (await pipeline.Ledger.GetAttemptsAsync(job.JobId.ToString(), default)).Select(a => a.DeploymentId).ShouldAllBe(d => d == "tooling");
        (await pipeline.Ledger.GetJobAsync(job.JobId.ToString(), default))!.RouteReason!.ShouldStartWith("rule 0 'tools' of gpt-test sent the job to tools; ");
    }
}
