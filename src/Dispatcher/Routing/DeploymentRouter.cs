using System.Text;
using Dispatcher.Breakers;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Dispatching;
using Dispatcher.Quotas;
using Dispatcher.Reservations;
using Microsoft.Extensions.Options;

namespace Dispatcher.Routing;

/// <summary>
/// Routing in two stages: filters remove deployments that cannot take the job (already tried,
/// context window, rules, an open breaker, a spend cap), the quota check removes those whose buckets cannot afford it now,
/// then the model group's strategy picks among the rest and the job's attempt is reserved on
/// the pick (<see cref="AttemptReservations"/>) — all under the quota book's lock, so concurrent
/// jobs never share the last slot.
/// </summary>
public sealed class DeploymentRouter
{
    // How long past its expected wait a deployment stays held for a job that has not come back.
    private const double HoldGraceSeconds = 0.02;

    private readonly Dictionary<string, DeploymentOptions[]> _byGroup;
    private readonly Dictionary<string, Slot[]> _slots;
    private readonly HashSet<string> _holdsForCheaper;
    private readonly Dictionary<string, IRoutingStrategy> _strategies;
    private readonly IDeploymentFilter[] _filters;
    private readonly QuotaBook _quotas;
    private readonly LatencyTracker _latency;
    private readonly SpendBook _spend;
    private readonly DeploymentBreakers _breakers;
    private readonly AttemptReservations _reservations;
    private readonly RoutingCandidate[] _scratch;
    private readonly Slot[] _scratchSlots;

    /// <summary>
    /// Builds the router from the catalog, the registered filters, the books it reads (quota,
    /// spend, breakers) and the owner of attempts' reservations on those same books.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="reservations"/> reserves on other books than these.</exception>
    public DeploymentRouter(
        IOptions<CatalogOptions> catalog,
        IEnumerable<IDeploymentFilter> filters,
        QuotaBook quotas,
        LatencyTracker latency,
        SpendBook spend,
        DeploymentBreakers breakers,
        AttemptReservations reservations)
    {
        // The router checks these books under the quota book's lock and the reservation must be
        // taken on what it checked.
        if (!reservations.Uses(quotas, spend, breakers))
        {
            throw new ArgumentException("the reservations must be made on the books the router reads", nameof(reservations));
        }

        var options = catalog.Value;
        _byGroup = options.Deployments
            .GroupBy(d => d.ModelGroup, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
        _slots = _byGroup.ToDictionary(
            g => g.Key,
            g => g.Value.Select(d => new Slot(d, quotas[d.Id])).ToArray(),
            StringComparer.Ordinal);
        _holdsForCheaper = _byGroup.Keys
            .Where(g => options.Group(g) is { Strategy: StrategyNames.CostBased, WaitForCheaper: true })
            .ToHashSet(StringComparer.Ordinal);
        _strategies = _byGroup.Keys.ToDictionary(
            g => g,
            g => RoutingStrategies.Create(options.Group(g).Strategy),
            StringComparer.Ordinal);
        _filters = filters.ToArray();
        _quotas = quotas;
        _latency = latency;
        _spend = spend;
        _breakers = breakers;
        _reservations = reservations;
        _scratch = new RoutingCandidate[Math.Max(1, _byGroup.Values.Max(g => g.Length))];
        _scratchSlots = new Slot[_scratch.Length];
    }

    /// <summary>The deployments of a model group, in catalog order; empty for an unknown group.</summary>
    public IReadOnlyList<DeploymentOptions> DeploymentsOf(string modelGroup) =>
        _byGroup.TryGetValue(modelGroup, out var group) ? group : [];

    /// <summary>Chooses a deployment for the job and reserves its attempt there, or says why none can take it.</summary>
    public RoutingDecision Route(RoutingRequest request)
    {
        if (!_slots.TryGetValue(request.ModelGroup, out var slots))
        {
            return RoutingDecision.Refused("none", $"no deployment serves model group '{request.ModelGroup}'");
        }

        var strategy = _strategies[request.ModelGroup];
        var weighsHeadroom = (strategy.Weighs & CandidateFacts.Headroom) != 0;
        var weighsLatency = (strategy.Weighs & CandidateFacts.Latency) != 0;
        var weighsCost = (strategy.Weighs & CandidateFacts.Cost) != 0;
        var tokens = request.EstimatedTotalTokens;
        lock (_quotas.Gate)
        {
            var now = _quotas.Now;
            var count = 0;
            var filtered = 0;
            var overBudget = 0;
            var waitSeconds = double.PositiveInfinity;
            var breakerWaitSeconds = double.PositiveInfinity;
            var holds = _holdsForCheaper.Contains(request.ModelGroup);
            Slot? hold = null;
            var holdSeconds = 0.0;
            var holdCost = double.PositiveInfinity;
            foreach (var slot in slots)
            {
                var deployment = slot.Deployment;
                if (FirstBlockingFilter(request, deployment) is not null)
                {
                    filtered++;
                    continue;
                }

                if (!_breakers.Allows(deployment.Id, out var breakerWait))
                {
                    breakerWaitSeconds = Math.Min(breakerWaitSeconds, breakerWait.TotalSeconds);
                    filtered++;
                    continue;
                }

                if (_spend.HasCaps && _spend.WouldCross(deployment, request.Tenant, DecimalCost(request, deployment)) is not null)
                {
                    overBudget++;
                    filtered++;
                    continue;
                }

                var quota = slot.Quota;
                var heldForOther = slot.HeldFor != request.JobId && slot.HeldUntil > now;
                if (heldForOther || !quota.CanAfford(tokens, now))
                {
                    var wait = heldForOther ? slot.HeldUntil - now : quota.SecondsUntilAffordable(tokens, now);
                    waitSeconds = Math.Min(waitSeconds, wait);
                    if (holds && !heldForOther && wait <= slot.RefillSeconds(tokens, _quotas.Window.TotalSeconds)
                        && slot.Cost(request) is var cost && cost < holdCost)
                    {
                        hold = slot;
                        holdSeconds = wait;
                        holdCost = cost;
                    }

                    filtered++;
                    continue;
                }

                _scratchSlots[count] = slot;
                _scratch[count++] = new RoutingCandidate(
                    deployment,
                    weighsHeadroom ? quota.RequestHeadroom(now) : 0,
                    weighsHeadroom ? quota.TokenHeadroom(now) : 0,
                    quota.InFlight,
                    weighsLatency ? _latency.MsPerToken(deployment.Id) : null,
                    weighsCost ? slot.Cost(request) : 0);
            }

            if (count == 0)
            {
                var waiting = !double.IsPositiveInfinity(waitSeconds);
                return RoutingDecision.Refused(
                    strategy.Name,
                    Explain(request, slots, tokens, now),
                    overBudget > 0 && !waiting && double.IsPositiveInfinity(breakerWaitSeconds) ? ErrorKind.BudgetExhausted : ErrorKind.NoDeployment,
                    waiting ? TimeSpan.FromSeconds(Math.Max(waitSeconds, 0.001)) : null,
                    double.IsPositiveInfinity(breakerWaitSeconds) ? null : TimeSpan.FromSeconds(Math.Max(breakerWaitSeconds, 0.001)));
            }

            var picked = strategy.Pick(request, _scratch.AsSpan(0, count));
            var pick = _scratchSlots[picked];
            if (hold is not null && holdCost < _scratch[picked].EstimatedCost)
            {
                // A cheaper deployment can take the job within the time it earns the job's
                // reservation back: hold it for this job (others do not nibble at its room
                // meanwhile) rather than pay more now.
                hold.HeldFor = request.JobId;
                hold.HeldUntil = now + (2 * holdSeconds) + HoldGraceSeconds;
                return RoutingDecision.Refused(
                    strategy.Name,
                    $"waiting {holdSeconds:0.###} s for the cheaper {hold.Deployment.Id}",
                    ErrorKind.NoDeployment,
                    TimeSpan.FromSeconds(Math.Max(holdSeconds, 0.001)));
            }

            foreach (var slot in slots)
            {
                if (slot.HeldFor == request.JobId)
                {
                    slot.HeldUntil = 0;
                }
            }

            var sequence = _reservations.Reserve(pick.Deployment, pick.Quota, request.EstimatedPromptTokens, request.MaxTokens, request.Tenant, now);

            return new RoutingDecision(pick.Deployment, strategy.Name, sequence, count, filtered, null, ErrorKind.None, null);
        }
    }

    // Only the path where nothing can take the job spells out every deployment's reason.
    private string Explain(RoutingRequest request, Slot[] slots, int tokens, double now)
    {
        var text = new StringBuilder($"no deployment of '{request.ModelGroup}' can take the job now: ");
        for (var i = 0; i < slots.Length; i++)
        {
            var (d, quota) = (slots[i].Deployment, slots[i].Quota);
            var why = FirstBlockingFilter(request, d)?.Name
                ?? (_breakers.Allows(d.Id, out _) ? null : "breaker open")
                ?? (_spend.HasCaps ? _spend.WouldCross(d, request.Tenant, DecimalCost(request, d)) is { } cap ? $"budget {cap} would be crossed" : null : null)
                ?? $"quota: free in {quota.SecondsUntilAffordable(tokens, now):0.###} s";
            text.Append(i == 0 ? "" : ", ").Append(d.Id).Append(" (").Append(why).Append(')');
        }

        return text.ToString();
    }

    // Spend caps are checked in exact decimals.
    private static decimal DecimalCost(RoutingRequest request, DeploymentOptions deployment) =>
        CostCalculator.Cost(deployment, request.EstimatedPromptTokens, request.MaxTokens);

    private IDeploymentFilter? FirstBlockingFilter(RoutingRequest request, DeploymentOptions deployment)
    {
        foreach (var filter in _filters)
        {
            if (!filter.Allows(request, deployment))
            {
                return filter;
            }
        }

        return null;
    }

    // A deployment of a group with what routing reads for it on every decision, looked up once,
    // and the job it is held for (changed only under the quota book's lock).
    private sealed class Slot(DeploymentOptions deployment, DeploymentQuota quota)
    {
        private readonly double _inputPricePerToken = (double)deployment.InputPricePerMillion / 1_000_000;
        private readonly double _outputPricePerToken = (double)deployment.OutputPricePerMillion / 1_000_000;

        public DeploymentOptions Deployment { get; } = deployment;

        public DeploymentQuota Quota { get; } = quota;

        public Guid HeldFor { get; set; }

        public double HeldUntil { get; set; }

        public double Cost(RoutingRequest request) =>
            (request.EstimatedPromptTokens * _inputPricePerToken) + (request.MaxTokens * _outputPricePerToken);

        // How long the deployment takes to earn back one request and tokens at its limits.
        public double RefillSeconds(int tokens, double windowSeconds) => windowSeconds * Math.Max(
            Deployment.Rpm > 0 ? 1.0 / Deployment.Rpm : 0,
            Deployment.Tpm > 0 ? (double)tokens / Deployment.Tpm : 0);
    }
}
