using System.Globalization;
using BenchmarkDotNet.Attributes;
using Dispatcher.Breakers;
using Dispatcher.Catalog;
using Dispatcher.Quotas;
using Dispatcher.Reservations;
using Dispatcher.Routing;
using Microsoft.Extensions.Options;

namespace Dispatcher.Bench.Micro;

/// <summary>
/// The routing decision alone: <see cref="DeploymentRouter.Route"/> over one model group of
/// 3 to 10 deployments with the product's filters, for a first attempt and for a retry that
/// excludes the deployment that failed. Each call is a whole decision as the dispatcher makes
/// it: under the quota book's lock, the filters, every candidate's quota check and headroom,
/// the strategy's pick, and the reservation of the job's attempt on the pick. Each call also
/// settles the reservation made <see cref="InFlight"/> calls before (the quota's own work of a
/// settle, under the lock, and the reservation's leaving the owner's record of open ones), as
/// outcomes come back in a running dispatcher: an attempt counts in the windows and the record
/// until it is settled, so without settles they would grow for the whole run.
/// </summary>
[MemoryDiagnoser]
public class RouteBenchmarks
{
    private const string Group = "gpt-bench";

    // Reservations open at any moment: a busy dispatcher's calls waiting and running at a few
    // deployments.
    private const int InFlight = 256;

    private readonly long[] _sequences = new long[InFlight];
    private readonly DeploymentQuota?[] _reservedOn = new DeploymentQuota?[InFlight];
    private int _next;
    private QuotaBook _quotas = null!;
    private AttemptReservations _reservations = null!;
    private DeploymentRouter _router = null!;
    private RoutingRequest _first = null!;
    private RoutingRequest _retry = null!;

    /// <summary>Deployments in the model group.</summary>
    [Params(3, 5, 10)]
    public int Deployments { get; set; }

    /// <summary>The group's strategy.</summary>
    [Params(StrategyNames.RoundRobin, StrategyNames.PriorityOrder, StrategyNames.UsageBased, StrategyNames.CostBased)]
    public string Strategy { get; set; } = StrategyNames.RoundRobin;

    /// <summary>Builds the router the way the dispatcher's container does.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var catalog = new CatalogOptions
        {
            Deployments = [.. Enumerable.Range(0, Deployments).Select(i => new DeploymentOptions
            {
                Id = "deployment-" + i.ToString(CultureInfo.InvariantCulture),
                ModelGroup = Group,
                Priority = i,
                ContextWindow = 128_000,
                // Distinct prices, so the cost-based strategy compares real costs, not ties.
                InputPricePerMillion = 0.15m + (0.05m * i),
                OutputPricePerMillion = 0.60m + (0.20m * i),
                // Quota never runs out here: the benchmark measures the decision, not waiting.
                Rpm = int.MaxValue,
                Tpm = int.MaxValue,
            })],
            ModelGroups = [new ModelGroupOptions { Name = Group, Strategy = Strategy }],
            // At the benchmark's call rate a window this short holds up to a couple of thousand
            // settled calls, about what a real one-minute window holds at a couple of thousand RPM;
            // a minute-long one would hold millions here, as the benchmark routes far faster than any RPM.
            QuotaWindow = TimeSpan.FromMilliseconds(1),
        };
        var options = Options.Create(catalog);
        _quotas = new QuotaBook(options, TimeProvider.System);
        var spend = new SpendBook(options, TimeProvider.System);
        var breakers = new DeploymentBreakers(options, TimeProvider.System);
        _reservations = new AttemptReservations(_quotas, spend, breakers);
        _router = new DeploymentRouter(
            options,
            [new ExcludedFilter(), new ContextWindowFilter(), new TenantRegionFilter(options)],
            _quotas,
            new LatencyTracker(TimeProvider.System),
            spend,
            breakers,
            _reservations);
        _first = new RoutingRequest(Guid.NewGuid(), Group, 40, 256, null, null, new HashSet<string>(StringComparer.Ordinal));
        _retry = _first with { Excluded = new HashSet<string>(StringComparer.Ordinal) { "deployment-0" } };
    }

    /// <summary>A job's first attempt: every deployment is a candidate.</summary>
    [Benchmark(Baseline = true)]
    public RoutingDecision FirstAttempt() => SettleEarlier(_router.Route(_first));

    /// <summary>A retry: the deployment that failed is filtered out and named in the reason.</summary>
    [Benchmark]
    public RoutingDecision RetryOneExcluded() => SettleEarlier(_router.Route(_retry));

    // Settles the reservation made InFlight decisions ago, for less than it reserved, and keeps
    // this one's for later. The settle's signal to waiting jobs (QuotaBook.Settle) and the
    // breaker's sampling (AttemptReservations.Settle) are left out: they are the outcome
    // consumer's cost, not routing's.
    private RoutingDecision SettleEarlier(RoutingDecision decision)
    {
        var slot = _next;
        _next = (_next + 1) % InFlight;
        if (_reservedOn[slot] is { } quota)
        {
            lock (_quotas.Gate)
            {
                quota.Settle(_sequences[slot], _first.EstimatedTotalTokens, 100, TimeSpan.Zero, _quotas.Now);
            }

            _reservations.Forget(_sequences[slot]);
        }

        _reservedOn[slot] = decision.Deployment is { } d ? _quotas[d.Id] : null;
        _sequences[slot] = decision.ReservationSequence;
        return decision;
    }
}
