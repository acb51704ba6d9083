using System.Text.Json;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Routing;
using Integration.Tests.Support;
using MassTransit;

namespace Integration.Tests.Embedded;

/// <summary>
/// A <c>weighted-adaptive</c> group over two simulated deployments of equal configured weight,
/// one of them failing a fifth of its calls and twenty times slower: once outcomes have come back, most
/// jobs are answered by the healthy one.
/// </summary>
public sealed class AdaptiveRoutingTests
{
    private static JsonElement Body() =>
        JsonSerializer.SerializeToElement(new { model = "gpt-test", messages = new[] { new { role = "user", content = "hello" } }, max_tokens = 16 });

    // Sends from a method of its own: the bus's log context, kept in an AsyncLocal, then does not
    // flow back into the test.
    private static async Task SubmitAsync(IBus bus, string batch, int count)
    {
        var intake = await bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Intake));
        for (var i = 0; i < count; i++)
        {
            await intake.Send(new SubmitCompletion($"{batch}-{i}", "gpt-test", Body(), batch, Guid.NewGuid()));
        }
    }

    // Quota enough for every job at once, so that only the weights decide.
    private static object Deployment(string id, double errorRate, double msPerToken) => new
    {
        Id = id,
        ModelGroup = "gpt-test",
        Provider = "Simulated",
        MaxParallel = 8,
        Rpm = 1_000_000,
        Tpm = 100_000_000,
        BurstFraction = 1.0,
        Simulation = new { LatencyMs = 0.0, LatencySigma = 0.0, MsPerOutputToken = msPerToken, ErrorRate = errorRate, Seed = 1 },
    };

    [Fact]
    public async Task Batch_OneDeploymentFailingAndSlow_MostJobsAnsweredByTheHealthyOne()
    {
        await using var pipeline = await EmbeddedPipeline.StartAsync(new
        {
            Deployments = new[] { Deployment("healthy", errorRate: 0, msPerToken: 1), Deployment("sick", errorRate: 0.2, msPerToken: 40) },
            ModelGroups = new[] { new { Name = "gpt-test", Strategy = StrategyNames.WeightedAdaptive, MaxAttempts = 4, Retry = new { BaseDelaySeconds = 0.0, Jitter = 0.0 } } },
        });
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);

        // The first wave is routed by the configured weights alone: both deployments get measured.
        await SubmitAsync(pipeline.Bus, "warm-up", 20);
        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Count + recorder.Failed.Count >= 20, "the warm-up's 20 results", TimeSpan.FromSeconds(60));

        await SubmitAsync(pipeline.Bus, "measured", 60);
        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Count + recorder.Failed.Count >= 80, "the measured wave's 60 results", TimeSpan.FromSeconds(60));

        var answered = recorder.Succeeded.Where(s => s.BatchId == "measured").Select(s => s.DeploymentId).ToList();
        answered.Count.ShouldBe(60);
        // By configured weights alone about 24 would be answered by the sick one (half the first
        // attempts, less the fifth that fail and go to the other). Twenty times slower, its
        // adaptive weight sits at or near the 5 % floor, which leaves it two or three.
        answered.Count(id => id == "sick").ShouldBeLessThanOrEqualTo(8);
    }

    [Fact]
    public async Task GetStatus_WeightedAdaptiveGroup_ReportsEachDeploymentsRoutingWeight()
    {
        await using var pipeline = await MonitoredPipeline.StartAsync(new
        {
            // Failing half its calls keeps the sick one at a third of the healthy one's score or less
            // even when a loaded machine's scheduling makes both take about as long per token.
            Deployments = new[] { Deployment("healthy", errorRate: 0, msPerToken: 1), Deployment("sick", errorRate: 0.5, msPerToken: 40) },
            ModelGroups = new[] { new { Name = "gpt-test", Strategy = StrategyNames.WeightedAdaptive } },
        });
        using var http = new HttpClient { BaseAddress = pipeline.BaseAddress, Timeout = TimeSpan.FromSeconds(20) };

        await pipeline.SubmitBatchAsync("weights", 20);
        await pipeline.WaitForBatchAsync("weights");
        var deployments = JsonDocument.Parse(await http.GetStringAsync("api/status")).RootElement
            .GetProperty("deployments").EnumerateArray()
            .ToDictionary(d => d.GetProperty("id").GetString()!, d => d.GetProperty("routingWeight").GetDouble());

        // The fastest keeps its configured weight; one forty times slower per token, failing half
        // its calls, sits near the floor.
        deployments["healthy"].ShouldBe(1);
        deployments["sick"].ShouldBeInRange(AdaptiveWeights.DefaultFloor, 0.5);
    }
}
