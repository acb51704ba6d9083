using BenchmarkDotNet.Attributes;
using Dispatcher.Catalog;
using Dispatcher.Dispatching;
using Dispatcher.Quotas;
using Dispatcher.Routing;
using Microsoft.Extensions.Options;

namespace Dispatcher.Bench.Micro;

/// <summary>
/// The steps <see cref="DeploymentRouter.Route"/> takes, one at a time, to show where a decision's
/// time goes: per candidate the filters, the cost estimate, the quota check with both headrooms
/// and the latency lookup; per decision the clock read, and the reservation on the pick with
/// its settle later.
/// </summary>
[MemoryDiagnoser]
public class RouteStepBenchmarks
{
    private const string Group = "gpt-bench";
    private const int Tokens = 40 + 256;

    private DeploymentOptions _deployment = null!;
    private IDeploymentFilter[] _filters = null!;
    private QuotaBook _quotas = null!;
    private DeploymentQuota _quota = null!;
    private LatencyTracker _latency = null!;
    private RoutingRequest _request = null!;

    /// <summary>One deployment with the same settings as <see cref="RouteBenchmarks"/>.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var catalog = new CatalogOptions
        {
            Deployments =
            [
                new DeploymentOptions
                {
                    Id = "deployment-0", ModelGroup = Group, ContextWindow = 128_000, Rpm = int.MaxValue, Tpm = int.MaxValue,
                    InputPricePerMillion = 0.15m, OutputPricePerMillion = 0.60m,
                },
            ],
            ModelGroups = [new ModelGroupOptions { Name = Group }],
            QuotaWindow = TimeSpan.FromMilliseconds(1),
        };
        var options = Options.Create(catalog);
        _deployment = catalog.Deployments[0];
        _filters = [new ExcludedFilter(), new ContextWindowFilter(), new TenantRegionFilter(options)];
        _quotas = new QuotaBook(options, TimeProvider.System);
        _quota = _quotas[_deployment.Id];
        _latency = new LatencyTracker(TimeProvider.System);
        _request = new RoutingRequest(Guid.NewGuid(), Group, 40, 256, null, null, new HashSet<string>(StringComparer.Ordinal));
    }

    /// <summary>Per candidate: the three filters the dispatcher registers.</summary>
    [Benchmark]
    public bool Filters()
    {
        var allowed = true;
        foreach (var filter in _filters)
        {
            allowed &= filter.Allows(_request, _deployment);
        }

        return allowed;
    }

    /// <summary>Per candidate: the job's estimated cost there (decimal arithmetic).</summary>
    [Benchmark]
    public decimal CostEstimate() => CostCalculator.Cost(_deployment, _request.EstimatedPromptTokens, _request.MaxTokens);

    /// <summary>Per candidate: whether the quota affords the job, and its request and token headroom.</summary>
    [Benchmark]
    public double QuotaCheck()
    {
        lock (_quotas.Gate)
        {
            var now = _quotas.Now;
            return _quota.CanAfford(Tokens, now) ? _quota.RequestHeadroom(now) + _quota.TokenHeadroom(now) : 0;
        }
    }

    /// <summary>Per candidate: the recent latency per token (none recorded, as in <see cref="RouteBenchmarks"/>).</summary>
    [Benchmark]
    public double? LatencyLookup() => _latency.MsPerToken(_deployment.Id);

    /// <summary>Per decision: the quota book's monotonic clock.</summary>
    [Benchmark]
    public double Clock() => _quotas.Now;

    /// <summary>
    /// Per decision: the reservation of the job's estimate on the pick, and the quota's work of
    /// settling it when its outcome comes back (an attempt counts in the windows until settled).
    /// </summary>
    [Benchmark]
    public long ReserveAndSettle()
    {
        var sequence = _quotas.Reserve(_deployment.Id, Tokens);
        lock (_quotas.Gate)
        {
            _quota.Settle(sequence, Tokens, 100, TimeSpan.Zero, _quotas.Now);
        }

        return sequence;
    }
}
