using Dispatcher.Breakers;
using Dispatcher.Catalog;
using Dispatcher.Dispatching;
using Dispatcher.Fairness;
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
        _gate = new DispatchGate(router, _quotas, new FairShares(catalog, _time), _time);
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
            new FairShares(catalog, _time),
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

    // One deployment admitting one request per window: each refill lets exactly one waiter through.
    private (DispatchGate Gate, QuotaBook Quotas) OneAtATime(params TenantOptions[] tenants)
    {
        var catalog = Options.Create(new CatalogOptions
        {
            Deployments = [new DeploymentOptions { Id = "d", ModelGroup = "g", Rpm = 1, Tpm = 1_000_000, BurstFraction = 1 }],
            Tenants = [.. tenants],
            QuotaWindow = TimeSpan.FromSeconds(60),
            QuotaWindowPadding = 0,
        });
        var quotas = new QuotaBook(catalog, _time);
        var spend = new SpendBook(catalog, _time);
        var breakers = new DeploymentBreakers(catalog, _time);
        var router = new DeploymentRouter(catalog, [], quotas, new LatencyTracker(_time), spend, breakers, new AttemptReservations(quotas, spend, breakers));
        return (new DispatchGate(router, quotas, new FairShares(catalog, _time), _time), quotas);
    }

    private static RoutingRequest Tenant(string tenant) => new(Guid.NewGuid(), "g", 10, 10, tenant, null, new HashSet<string>());

    // Lets the next waiter through: the window refills and the last call settles.
    private void Refill(QuotaBook quotas, RoutingDecision last)
    {
        _time.Advance(TimeSpan.FromSeconds(61));
        quotas.Settle("d", last.ReservationSequence, 20, 20, new CallTiming(TimeSpan.FromSeconds(61), null), null, null);
    }

    [Fact]
    public async Task RouteAsync_TenantBehindALargeBacklog_GetsTheNextTurn()
    {
        var (gate, quotas) = OneAtATime();
        var first = await gate.RouteAsync(Tenant("a"), FairKey.Of(0, "a", "big"), waitForBreakers: false, defer: false, CancellationToken.None);
        var bigWaiting = Enumerable.Range(0, 3)
            .Select(_ => gate.RouteAsync(Tenant("a"), FairKey.Of(0, "a", "big"), waitForBreakers: false, defer: false, CancellationToken.None))
            .ToList();
        await WaitUntilAsync(() => gate.Waiting == 3);
        var small = gate.RouteAsync(Tenant("b"), FairKey.Of(0, "b", "small"), waitForBreakers: false, defer: false, CancellationToken.None);
        await WaitUntilAsync(() => gate.Waiting == 4);

        Refill(quotas, first!.Value);
        var next = await (await Task.WhenAny(bigWaiting.Append(small))).WaitAsync(TimeSpan.FromSeconds(10));

        small.IsCompletedSuccessfully.ShouldBeTrue("tenant a has had its share; b has had none");
        next!.Value.Deployment!.Id.ShouldBe("d");
        bigWaiting.ShouldAllBe(t => !t.IsCompleted);
    }

    [Fact]
    public async Task RouteAsync_TwoBatchesOfOneTenant_ShareTurnsEqually()
    {
        var (gate, quotas) = OneAtATime();
        var order = new List<string>();
        var last = await gate.RouteAsync(Tenant("a"), FairKey.Of(0, "a", "x"), waitForBreakers: false, defer: false, CancellationToken.None);
        order.Add("x");
        var waiting = new List<(string Batch, Task<RoutingDecision?> Task)>();
        foreach (var batch in new[] { "x", "x", "x", "x", "y", "y", "y", "y" })
        {
            waiting.Add((batch, gate.RouteAsync(Tenant("a"), FairKey.Of(0, "a", batch), waitForBreakers: false, defer: false, CancellationToken.None)));
        }

        await WaitUntilAsync(() => gate.Waiting == 8);
        for (var turn = 0; turn < 5; turn++)
        {
            Refill(quotas, last!.Value);
            var done = await Task.WhenAny(waiting.Select(w => w.Task)).WaitAsync(TimeSpan.FromSeconds(10));
            var (batch, task) = waiting.Single(w => w.Task == done);
            waiting.Remove((batch, task));
            order.Add(batch);
            last = await task;
            await WaitUntilAsync(() => gate.Waiting == waiting.Count);
        }

        // x had the first turn; y, behind x's backlog, takes the next, then they take turns
        // (which of two level batches goes first is a race).
        order[1].ShouldBe("y");
        order.Count(b => b == "x").ShouldBe(3, string.Join(",", order));
        order.Count(b => b == "y").ShouldBe(3, string.Join(",", order));
    }

    [Fact]
    public async Task RouteAsync_WeightedTenants_HeavierTenantGetsTurnsInProportion()
    {
        var (gate, quotas) = OneAtATime(new TenantOptions { Name = "heavy", Weight = 2 });
        var order = new List<string>();
        var last = await gate.RouteAsync(Tenant("light"), FairKey.Of(0, "light", null), waitForBreakers: false, defer: false, CancellationToken.None);
        var waiting = new List<(string Tenant, Task<RoutingDecision?> Task)>();
        foreach (var tenant in Enumerable.Repeat("heavy", 5).Concat(Enumerable.Repeat("light", 5)))
        {
            waiting.Add((tenant, gate.RouteAsync(Tenant(tenant), FairKey.Of(0, tenant, null), waitForBreakers: false, defer: false, CancellationToken.None)));
        }

        await WaitUntilAsync(() => gate.Waiting == 10);
        for (var turn = 0; turn < 5; turn++)
        {
            Refill(quotas, last!.Value);
            var done = await Task.WhenAny(waiting.Select(w => w.Task)).WaitAsync(TimeSpan.FromSeconds(10));
            var entry = waiting.Single(w => w.Task == done);
            waiting.Remove(entry);
            order.Add(entry.Tenant);
            last = await entry.Task;
            await WaitUntilAsync(() => gate.Waiting == waiting.Count);
        }

        // With the turn light had first, six turns: weight 2 against 1 gets two in three.
        order.Count(t => t == "heavy").ShouldBe(4, string.Join(",", order));
    }

    [Fact]
    public async Task RouteAsync_DeferWhenItWouldWait_ReturnsNullWithoutWaiting()
    {
        var (gate, _) = OneAtATime();
        (await gate.RouteAsync(Tenant("a"), FairKey.Of(0, "a", null), waitForBreakers: false, defer: true, CancellationToken.None))!.Value.Deployment.ShouldNotBeNull();

        var deferred = await gate.RouteAsync(Tenant("a"), FairKey.Of(0, "a", null), waitForBreakers: false, defer: true, CancellationToken.None);

        deferred.ShouldBeNull();
        gate.Waiting.ShouldBe(0);
        gate.Shares.Tenants().Single().Waiting.ShouldBe(0);
    }

    // 21:59:50 in Berlin; "night" opens at 22:00, "day" is always open.
    private static (DispatchGate Gate, FakeTimeProvider Time) WithNightDeployment(params DeploymentOptions[] others)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 20, 59, 50, TimeSpan.Zero));
        var night = new DeploymentOptions { Id = "night", ModelGroup = "g", Tpm = 1_000_000 };
        night.Availability = [new Catalog.Availability.AvailabilityWindowOptions { From = "22:00", To = "06:00", TimeZone = "Europe/Berlin" }];
        var catalog = Options.Create(new CatalogOptions { Deployments = [night, .. others] });
        var quotas = new QuotaBook(catalog, time);
        var spend = new SpendBook(catalog, time);
        var breakers = new DeploymentBreakers(catalog, time);
        var router = new DeploymentRouter(
            catalog, [new ExcludedFilter(), new AvailabilityFilter(catalog, time)], quotas, new LatencyTracker(time), spend, breakers, new AttemptReservations(quotas, spend, breakers));
        return (new DispatchGate(router, quotas, new FairShares(catalog, time), time), time);
    }

    [Fact]
    public async Task RouteAsync_WindowClosed_JobsWaitUntilItOpensThenRoute()
    {
        var (gate, time) = WithNightDeployment();

        (await gate.RouteAsync(Request(), FairKey.Of(0, null, null), waitForBreakers: false, defer: true, CancellationToken.None))
            .ShouldBeNull("a job the window keeps waiting goes to its dispatch lane");

        var waiting = Enumerable.Range(0, 3).Select(_ => gate.RouteAsync(Request(), 0, waitForBreakers: false, CancellationToken.None)).ToArray();
        await WaitUntilAsync(() => gate.Waiting == 3);
        for (var s = 0; s < 9; s++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(20);
            waiting.ShouldAllBe(w => !w.IsCompleted);
        }

        time.Advance(TimeSpan.FromSeconds(1));

        foreach (var job in waiting)
        {
            (await job.WaitAsync(TimeSpan.FromSeconds(10))).Deployment!.Id.ShouldBe("night");
        }

        gate.Waiting.ShouldBe(0);
    }

    [Fact]
    public async Task RouteAsync_HigherPriorityWaitsForAWindow_LowerPriorityStillRoutesToAnOpenDeployment()
    {
        var (gate, time) = WithNightDeployment(new DeploymentOptions { Id = "day", ModelGroup = "g", Tpm = 1_000_000 });
        var onlyNight = new RoutingRequest(Guid.NewGuid(), "g", 1, 1, null, null, new HashSet<string> { "day" });
        var high = gate.RouteAsync(onlyNight, priority: 9, waitForBreakers: false, CancellationToken.None);
        await WaitUntilAsync(() => gate.Waiting == 1);

        var low = await gate.RouteAsync(Request(), priority: 0, waitForBreakers: false, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        low.Deployment!.Id.ShouldBe("day");
        high.IsCompleted.ShouldBeFalse();
        time.Advance(TimeSpan.FromSeconds(10));
        (await high.WaitAsync(TimeSpan.FromSeconds(10))).Deployment!.Id.ShouldBe("night");
    }
}
