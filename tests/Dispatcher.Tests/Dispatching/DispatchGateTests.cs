using Dispatcher.Breakers;
using Dispatcher.Catalog;
using Dispatcher.Dispatching;
using Dispatcher.Quotas;
using Dispatcher.Reservations;
using Dispatcher.Routing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Dispatcher.Tests.Dispatching;

public sealed class DispatchGateTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly QuotaBook _quotas;
    private readonly DispatchGate _gate;

    public DispatchGateTests()
    {
        var catalog = Options.Create(new CatalogOptions
        {
            Deployments = [new DeploymentOptions { Id = "d", ModelGroup = "g", Rpm = 1, Tpm = 1_000_000, BurstFraction = 1 }],
            QuotaWindow = TimeSpan.FromSeconds(60),
            QuotaWindowPadding = 0,
        });
        _quotas = new QuotaBook(catalog, _time);
        var spend = new SpendBook(catalog, _time);
        var breakers = new DeploymentBreakers(catalog, _time);
        var router = new DeploymentRouter(catalog, [], _quotas, new LatencyTracker(_time), spend, breakers, new AttemptReservations(_quotas, spend, breakers));
        _gate = new DispatchGate(router, _quotas, _time);
    }

    private static RoutingRequest Request(string group = "g") => new(Guid.NewGuid(), group, 1, 1, null, null, new HashSet<string>());

    private async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        condition().ShouldBeTrue();
    }

    [Fact]
    public async Task RouteAsync_CapacityFree_RoutesAtOnce()
    {
        var decision = await _gate.RouteAsync(Request(), 0, waitForBreakers: true, CancellationToken.None);

        decision.Deployment!.Id.ShouldBe("d");
        _gate.Waiting.ShouldBe(0);
    }

    [Fact]
    public async Task RouteAsync_UnknownGroup_RefusesWithoutWaiting()
    {
        var decision = await _gate.RouteAsync(Request("nope"), 0, waitForBreakers: true, CancellationToken.None);

        decision.Deployment.ShouldBeNull();
        decision.RetryIn.ShouldBeNull();
    }

    [Fact]
    public async Task RouteAsync_QuotaSpent_WaitsForRefillThenRoutes()
    {
        var first = await _gate.RouteAsync(Request(), 0, waitForBreakers: true, CancellationToken.None);

        var second = _gate.RouteAsync(Request(), 0, waitForBreakers: true, CancellationToken.None);
        await WaitUntilAsync(() => _gate.Waiting == 1);
        second.IsCompleted.ShouldBeFalse();

        _time.Advance(TimeSpan.FromSeconds(61));
        _quotas.Settle("d", first.ReservationSequence, 2, 2, new CallTiming(TimeSpan.FromSeconds(61), null), null, null); // the call ran all along; wakes the waiter now instead of after its nap
        (await second.WaitAsync(TimeSpan.FromSeconds(10))).Deployment!.Id.ShouldBe("d");
        _gate.Waiting.ShouldBe(0);
    }

    [Fact]
    public async Task RouteAsync_CapacityReturns_HigherPriorityGoesFirst()
    {
        var first = await _gate.RouteAsync(Request(), 0, waitForBreakers: true, CancellationToken.None);
        var low = _gate.RouteAsync(Request(), priority: 1, waitForBreakers: true, CancellationToken.None);
        await WaitUntilAsync(() => _gate.Waiting == 1);
        var high = _gate.RouteAsync(Request(), priority: 9, waitForBreakers: true, CancellationToken.None);
        await WaitUntilAsync(() => _gate.Waiting == 2);

        _time.Advance(TimeSpan.FromSeconds(61));
        _quotas.Settle("d", first.ReservationSequence, 2, 2, new CallTiming(TimeSpan.FromSeconds(61), null), null, null);

        var winner = await high.WaitAsync(TimeSpan.FromSeconds(10));
        winner.Deployment!.Id.ShouldBe("d");
        await Task.Delay(200);
        low.IsCompleted.ShouldBeFalse("one request a window: the low-priority job waits for the next");

        _time.Advance(TimeSpan.FromSeconds(61));
        _quotas.Settle("d", winner.ReservationSequence, 2, 2, new CallTiming(TimeSpan.FromSeconds(61), null), null, null);
        (await low.WaitAsync(TimeSpan.FromSeconds(10))).Deployment!.Id.ShouldBe("d");
    }

    [Fact]
    public async Task RouteAsync_Cancelled_StopsWaitingAndLeavesTheQueue()
    {
        await _gate.RouteAsync(Request(), 0, waitForBreakers: true, CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var waiting = _gate.RouteAsync(Request(), 0, waitForBreakers: true, cts.Token);
        await WaitUntilAsync(() => _gate.Waiting == 1);

        await cts.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(() => waiting);
        _gate.Waiting.ShouldBe(0);
    }

    [Fact]
    public async Task RouteAsync_HigherPriorityWaitsForABreaker_LowerPriorityStillRoutesToAHealthyDeployment()
    {
        var catalog = Options.Create(new CatalogOptions
        {
            Deployments =
            [
                new DeploymentOptions { Id = "a", ModelGroup = "g", Rpm = 100, Tpm = 1_000_000 },
                new DeploymentOptions { Id = "b", ModelGroup = "g", Rpm = 100, Tpm = 1_000_000 },
            ],
        });
        var quotas = new QuotaBook(catalog, _time);
        var spend = new SpendBook(catalog, _time);
        var breakers = new DeploymentBreakers(catalog, _time);
        var gate = new DispatchGate(
            new DeploymentRouter(catalog, [new ExcludedFilter()], quotas, new LatencyTracker(_time), spend, breakers, new AttemptReservations(quotas, spend, breakers)),
            quotas,
            _time);
        for (var i = 0; i < 5; i++)
        {
            breakers.Record("a", Dispatcher.Contracts.ErrorKind.ServerError);
        }

        // Already failed on b, so only a's breaker closing can help it.
        var high = gate.RouteAsync(Request() with { Excluded = new HashSet<string> { "b" } }, priority: 9, waitForBreakers: true, CancellationToken.None);
        await WaitUntilAsync(() => gate.Waiting == 1);

        var low = await gate.RouteAsync(Request(), priority: 0, waitForBreakers: true, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));

        low.Deployment!.Id.ShouldBe("b");
        high.IsCompleted.ShouldBeFalse();
    }
}
