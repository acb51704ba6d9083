using System.Text.Json;
using Dispatcher.Consumers;
using Dispatcher.Contracts;
using Dispatcher.Dispatching;
using Integration.Tests.Support;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Integration.Tests.Embedded;

public sealed class FairShareTests
{
    private const int LaneConcurrency = 150;

    private static JsonElement Body() =>
        JsonSerializer.SerializeToElement(new { model = "gpt-test", messages = new[] { new { role = "user", content = "hello" } }, max_tokens = 16 });

    private static async Task SubmitAsync(IBus bus, string batch, int count, string tenant)
    {
        var intake = await bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Intake));
        for (var i = 0; i < count; i++)
        {
            await intake.Send(new SubmitCompletion($"{batch}-{i}", "gpt-test", Body(), batch, Guid.NewGuid(), tenant));
        }
    }

    [Theory]
    [InlineData("b")] // another tenant
    [InlineData("a")] // the same tenant's second batch, at the same priority
    public async Task SmallBatchBehindALargeBacklog_FinishesWhileTheLargeOneHasMostOfItsJobsLeft(string smallTenant)
    {
        // 20 requests a second: the large batch alone takes ten seconds. Each lane hands the
        // dispatcher up to 150 of its jobs, so the large batch's backlog waits in the dispatcher
        // beside the small one's, and only the turns it gives decide which goes first (in
        // arrival order the small batch would wait for those 150).
        await using var pipeline = await EmbeddedPipeline.StartAsync(
            new
            {
                QuotaWindow = "00:00:01",
                QuotaWindowPadding = 0.2,
                Deployments = new[] { EmbeddedPipeline.Limited("scarce", catalogRpm: 20, providerRpm: 20) },
            },
            services => services.PostConfigure<IntakeOptions>(o => o.LaneConcurrency = LaneConcurrency));
        var recorder = await EventRecorder.ConnectAsync(pipeline.Bus);
        var gate = pipeline.Services.GetRequiredService<DispatchGate>();
        var mostWaiting = 0;

        await SubmitAsync(pipeline.Bus, "large", 200, tenant: "a");
        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Count >= 5, "the large batch under way");
        await SubmitAsync(pipeline.Bus, "small", 10, tenant: smallTenant);
        await EventRecorder.EventuallyAsync(
            () =>
            {
                mostWaiting = Math.Max(mostWaiting, gate.Waiting);
                return recorder.Succeeded.Count(r => r.BatchId == "small") == 10;
            },
            "the small batch done",
            TimeSpan.FromSeconds(60));
        var largeDone = recorder.Succeeded.Count(r => r.BatchId == "large");

        // Taking turns, the small batch's ten jobs need about twenty of the large one's turns; in
        // arrival order they would wait for all two hundred.
        largeDone.ShouldBeLessThan(100, "the small batch did not wait for the large one's backlog");
        await EventRecorder.EventuallyAsync(() => recorder.Succeeded.Count == 210, "every job done", TimeSpan.FromSeconds(60));
        recorder.Failed.ShouldBeEmpty();
        (await pipeline.AttemptKindsAsync()).GetValueOrDefault(nameof(ErrorKind.RateLimited)).ShouldBe(0);
        mostWaiting.ShouldBeLessThanOrEqualTo(8 * LaneConcurrency + 32, "the backlog beyond what the lanes hand over waits in them, not in the dispatcher");

        var tenants = gate.Shares.Tenants().ToDictionary(t => t.Tenant);
        if (smallTenant == "b")
        {
            tenants["a"].Jobs.ShouldBe(200);
            tenants["b"].Jobs.ShouldBe(10);
            (tenants["a"].Share + tenants["b"].Share).ShouldBe(1, 1e-9);
        }
        else
        {
            tenants["a"].Jobs.ShouldBe(210);
            tenants["a"].Share.ShouldBe(1, 1e-9);
        }
    }
}
