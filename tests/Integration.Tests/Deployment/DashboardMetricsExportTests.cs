using System.Text.Json;
using Dispatcher.Contracts;
using Integration.Tests.RabbitMq;
using Integration.Tests.Support;

namespace Integration.Tests.Deployment;

/// <summary>
/// Every metric the Grafana dashboard queries is really exported: the dispatcher and worker
/// programs run on RabbitMQ as in the compose stack, a batch goes through that succeeds, retries,
/// falls back and fails, and their /metrics pages are scraped.
/// </summary>
[Collection(RabbitNodeFixture.Name)]
public sealed class DashboardMetricsExportTests(RabbitNodeFixture rabbit)
{
    [Fact]
    public async Task Dashboard_EveryQueriedMetric_IsExportedByTheRunningPrograms()
    {
        using var env = await PipelineEnvironment.CreateAsync(rabbit.Node, new
        {
            Deployments = new[]
            {
                PipelineEnvironment.Simulated("m-ok"),
                PipelineEnvironment.Simulated("m-flaky", group: "flaky", errorRate: 1.0),
                PipelineEnvironment.Simulated("m-doomed", group: "doomed", errorRate: 1.0),
            },
            ModelGroups = new object[]
            {
                new { Name = "gpt-test", Budget = new { Limit = 100.0, Period = "Day" } },
                new { Name = "flaky", Fallbacks = new[] { "gpt-test" }, MaxAttempts = 3 },
                new { Name = "doomed", MaxAttempts = 2 },
            },
        });
        await using var dispatcher = ProgramProcess.Start("Dispatcher.Host", env.Variables);
        await using var workers = ProgramProcess.Start("Workers.Host", env.Variables);
        var dispatcherUrl = await dispatcher.ListeningUrlAsync();
        var workersUrl = await workers.ListeningUrlAsync();
        await env.WaitForConsumersAsync(dispatcher, QueueNames.Intake, QueueNames.Provider("m-ok"), QueueNames.Provider("m-flaky"), QueueNames.Provider("m-doomed"));

        var batch = Path.Combine(env.Folder, "mixed.jsonl");
        await File.WriteAllLinesAsync(batch, Enumerable.Range(1, 30).Select(i => JsonSerializer.Serialize(new
        {
            custom_id = $"req-{i}",
            method = "POST",
            url = "/v1/chat/completions",
            body = new { model = (i % 3) switch { 0 => "gpt-test", 1 => "flaky", _ => "doomed" }, messages = new[] { new { role = "user", content = $"question {i}" } }, max_tokens = 16 },
        })));
        await using var submitter = ProgramProcess.Start(
            "Submitter", env.Variables, "submit", batch, "--wait", "--batch-id", "metrics", "--out", Path.Combine(env.Folder, "out"), "--timeout", "00:02:00");
        var exit = await submitter.WaitForExitAsync(TimeSpan.FromMinutes(3));
        exit.ShouldBe(4, $"the doomed jobs end failed\nsubmitter:\n{submitter.Output}\ndispatcher:\n{dispatcher.Output}");

        using var dashboard = DeploymentFiles.Dashboard();
        var queried = MetricContract.QueriedBy(dashboard);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var exported = new HashSet<string>(StringComparer.Ordinal);
        // Queue depths are read from the broker in the background; give the first reading time to land.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        do
        {
            exported.UnionWith(MetricContract.Exported(await http.GetStringAsync(new Uri(dispatcherUrl, "metrics"))));
            exported.UnionWith(MetricContract.Exported(await http.GetStringAsync(new Uri(workersUrl, "metrics"))));
            if (queried.All(exported.Contains))
            {
                break;
            }

            await Task.Delay(1000);
        }
        while (DateTime.UtcNow < deadline);

        queried.Except(exported).Order(StringComparer.Ordinal).ShouldBeEmpty("queried by the dashboard but not exported");
    }
}
