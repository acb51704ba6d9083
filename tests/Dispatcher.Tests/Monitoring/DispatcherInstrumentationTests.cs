using Dispatcher.Breakers;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Dispatching;
using Dispatcher.Fairness;
using Dispatcher.Monitoring;
using Dispatcher.Quotas;
using Dispatcher.Reservations;
using Dispatcher.Routing;
using Dispatcher.ServiceDefaults.Management;
using Dispatcher.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dispatcher.Tests.Monitoring;

public sealed class DispatcherInstrumentationTests
{
    private static DispatcherInstrumentation Create(IServiceProvider seams, CatalogOptions? options = null) => Create(seams, options, out _);

    private static DispatcherInstrumentation Create(IServiceProvider seams, CatalogOptions? options, out SpendBook spend)
    {
        var catalog = Options.Create(options ?? Catalogs.Of("round-robin", Catalogs.Deployment("a"), Catalogs.Deployment("b")).Value);
        var time = TimeProvider.System;
        var quotas = new QuotaBook(catalog, time);
        spend = new SpendBook(catalog, time);
        var breakers = new DeploymentBreakers(catalog, time);
        var router = new DeploymentRouter(catalog, [], quotas, new LatencyTracker(time), spend, breakers, new AttemptReservations(quotas, spend, breakers));
        return new DispatcherInstrumentation(catalog, quotas, new DispatchGate(router, quotas, new FairShares(catalog, time), time), spend, seams);
    }

    [Fact]
    public void Observe_NoBreakerOrQueueMonitor_ReportsNeither()
    {
        using var instrumentation = Create(new ServiceCollection().BuildServiceProvider());
        using var metrics = new MeasurementRecorder(instrumentation.Meter);

        metrics.Observe();

        metrics.Count("dispatcher.breaker.state").ShouldBe(0);
        metrics.Count("dispatcher.queue.depth").ShouldBe(0);
        metrics.Count("dispatcher.quota.fill").ShouldBe(4);
        // What could go out now, as a share of the limit: a full bucket holds the burst (BurstFraction 0.1).
        metrics.Sum("dispatcher.quota.fill", "deployment=a", "bucket=requests").ShouldBe(0.1, 1e-9);
        metrics.Count("dispatcher.budget.spent").ShouldBe(0);
    }

    [Fact]
    public void Observe_BreakerAndQueueMonitorsRegistered_ReportsTheirReadings()
    {
        var seams = new ServiceCollection()
            .AddSingleton<IBreakerStates>(new FixedBreakers([
                new DeploymentBreaker("a", BreakerState.Open, "5xx", DateTimeOffset.UnixEpoch),
                new DeploymentBreaker("b", BreakerState.HalfOpen, null, DateTimeOffset.UnixEpoch),
            ]))
            .AddSingleton<IQueueDepths>(new FixedDepths([new QueueDepthSample("completion-intake", 42, 7, 1, null, null)]))
            .BuildServiceProvider();
        using var instrumentation = Create(seams);
        using var metrics = new MeasurementRecorder(instrumentation.Meter);

        metrics.Observe();

        metrics.Sum("dispatcher.breaker.state", "deployment=a").ShouldBe(2);
        metrics.Sum("dispatcher.breaker.state", "deployment=b").ShouldBe(1);
        metrics.Sum("dispatcher.queue.depth", "queue=completion-intake", "state=ready").ShouldBe(42);
        metrics.Sum("dispatcher.queue.depth", "queue=completion-intake", "state=unacked").ShouldBe(7);
    }

    [Fact]
    public void Observe_WeightedAdaptiveGroup_ReportsEachDeploymentsRoutingWeight()
    {
        var weights = new AdaptiveWeights(TimeProvider.System);
        var options = Catalogs.Of(StrategyNames.WeightedAdaptive, Catalogs.Deployment("a"), Catalogs.Deployment("b")).Value;
        weights.Record(options.Deployments[0], ErrorKind.None, providerMs: 1000, outputTokens: 100);
        weights.Record(options.Deployments[1], ErrorKind.None, providerMs: 2000, outputTokens: 100);
        using var instrumentation = Create(new ServiceCollection().AddSingleton(weights).BuildServiceProvider(), options);
        using var metrics = new MeasurementRecorder(instrumentation.Meter);

        metrics.Observe();

        metrics.Sum("dispatcher.routing.weight", "deployment=a").ShouldBe(1, 1e-9);
        metrics.Sum("dispatcher.routing.weight", "deployment=b").ShouldBe(0.5, 1e-9);
    }

    [Fact]
    public void Observe_NoWeightedAdaptiveGroup_ReportsNoRoutingWeight()
    {
        using var instrumentation = Create(new ServiceCollection().AddSingleton(new AdaptiveWeights(TimeProvider.System)).BuildServiceProvider());
        using var metrics = new MeasurementRecorder(instrumentation.Meter);

        metrics.Observe();

        metrics.Count("dispatcher.routing.weight").ShouldBe(0);
    }

    [Fact]
    public void Observe_CapsWithSpend_ReportsSpendPerScopeAndName()
    {
        var options = Catalogs.Of("round-robin", Catalogs.Deployment("a")).Value;
        options.Deployments[0].Budget = new BudgetOptions { Limit = 10m };
        options.ModelGroups[0].Budget = new BudgetOptions { Limit = 20m };
        using var instrumentation = Create(new ServiceCollection().BuildServiceProvider(), options, out var spend);
        using var metrics = new MeasurementRecorder(instrumentation.Meter);
        spend.Restore(SpendBook.DeploymentKey("a"), 1.5m, 0m);

        metrics.Observe();

        metrics.Sum("dispatcher.budget.spent", "scope=deployment", "name=a").ShouldBe(1.5);
        metrics.Sum("dispatcher.budget.spent", "scope=group", "name=g").ShouldBe(0);
    }

    private sealed class FixedBreakers(IReadOnlyList<DeploymentBreaker> current) : IBreakerStates
    {
        public IReadOnlyList<DeploymentBreaker> Current => current;
    }

    private sealed class FixedDepths(IReadOnlyList<QueueDepthSample> latest) : IQueueDepths
    {
        public IReadOnlyList<QueueDepthSample> Latest => latest;

        public DateTimeOffset? ReadAt => DateTimeOffset.UnixEpoch;
    }
}
