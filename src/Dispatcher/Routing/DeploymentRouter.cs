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
/// context window, rules, a closed availability window, an open breaker, a spend cap), the quota check removes those whose buckets cannot afford it now,
/// then the model group's strategy picks among the rest and the job's attempt is reserved on
/// the pick (<see cref="AttemptReservations"/>) — all under the quota book's lock, so concurrent
/// jobs never share the last slot. A group whose strategy holds deployments for waiting jobs
/// (<see cref="IDeploymentHold"/>) may keep the job waiting for one instead.
/// </summary>
public sealed class DeploymentRouter
{
    private readonly Dictionary<string, Group> _groups;
    private readonly IDeploymentFilter[] _filters;
    private readonly QuotaBook _quotas;
    private readonly LatencyTracker _latency;
    private readonly SpendBook _spend;
    private readonly DeploymentBreakers _breakers;
    private readonly AttemptReservations _reservations;
    private readonly RoutingRules _rules;
    private readonly RoutingCandidate[] _scratch;
    private readonly Slot[] _scratchSlots;

    /// <summary>
    /// Builds the router from the catalog, the registered filters, the books it reads (quota,
    /// spend, breakers), the owner of attempts' reservations on those same books, the adaptive
    /// weights and the groups' routing rules (compiled from the catalog when not given).
    /// </summary>
    /// <param name="adaptive">The weights a <c>weighted-adaptive</c> group draws by; without them such a group draws by its configured weights.</param>
    /// <exception cref="ArgumentException"><paramref name="reservations"/> reserves on other books than these.</exception>
    public DeploymentRouter(
        IOptions<CatalogOptions> catalog,
        IEnumerable<IDeploymentFilter> filters,
        QuotaBook quotas,
        LatencyTracker latency,
        SpendBook spend,
        DeploymentBreakers breakers,
        AttemptReservations reservations,
        AdaptiveWeights? adaptive = null,
        RoutingRules? rules = null)
    {
        // The router checks these books under the quota book's lock and the reservation must be
        // taken on what it checked.
        if (!reservations.Uses(quotas, spend, breakers))
        {
            throw new ArgumentException("the reservations must be made on the books the router reads", nameof(reservations));
        }

        var options = catalog.Value;
        _rules = rules ?? new RoutingRules(catalog);
        _groups = options.Deployments
            .GroupBy(d => d.ModelGroup, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => new Group(options.Group(g.Key), [.. g], quotas, adaptive, _rules.Of(g.Key)), StringComparer.Ordinal);
        _filters = filters.ToArray();
        _quotas = quotas;
        _latency = latency;
        _spend = spend;
        _breakers = breakers;
        _reservations = reservations;
        _scratch = new RoutingCandidate[Math.Max(1, _groups.Values.Max(g => g.Slots.Length))];
        _scratchSlots = new Slot[_scratch.Length];
    }

    /// <summary>The deployments of a model group, in catalog order; empty for an unknown group.</summary>
    public IReadOnlyList<DeploymentOptions> DeploymentsOf(string modelGroup) =>
        _groups.TryGetValue(modelGroup, out var group) ? group.Deployments : [];

    /// <summary>Chooses a deployment for the job and reserves its attempt there, or says why none can take it.</summary>
    public RoutingDecision Route(RoutingRequest request)
    {
        if (!_groups.TryGetValue(request.ModelGroup, out var group))
        {
            return RoutingDecision.Refused("none", $"no deployment serves model group '{request.ModelGroup}'");
        }

        // The first matching rule narrows the candidates; a sending rule was followed where the
        // job's chain of groups began (RoutingRules.Redirect), so here it leaves them as they are.
        var rule = group.HasRules && _rules.Match(request.ModelGroup, request) is { SendsTo: null } narrowing ? narrowing : null;
        var selects = rule is null ? null : group.RuleSelects[rule.Index];
        lock (_quotas.Gate)
        {
            var now = _quotas.Now;
            var tally = Gather(group, request, selects, now);
            if (tally.Candidates == 0)
            {
                return Refuse(group, request, rule, selects, tally, now);
            }

            var pick = _scratchSlots[group.Strategy.Pick(request, _scratch.AsSpan(0, tally.Candidates))];
            if (group.Hold is { } hold && hold.Waits(request, pick.Index, now, out var seconds, out var reason))
            {
                return RoutingDecision.Refused(group.Strategy.Name, reason, ErrorKind.NoDeployment, TimeSpan.FromSeconds(Math.Max(seconds, 0.001)))
                    with { Rule = rule, SentBy = request.SentBy };
            }

            return Commit(group, request, pick, rule, tally, now);
        }
    }

    // Every deployment of the group that can take the job now goes into the scratch arrays as a
    // candidate; the tally counts the others and says when the first of them may take it.
    private Tally Gather(Group group, RoutingRequest request, bool[]? selects, double now)
    {
        var tally = new Tally();
        var tokens = new QuotaTokens(request.EstimatedPromptTokens, request.MaxTokens);
        group.Hold?.Begin();
        foreach (var slot in group.Slots)
        {
            if ((selects is not null && !selects[slot.Index]) || IsBarred(request, slot.Deployment, ref tally) || !Affords(group.Hold, request, slot, tokens, now, ref tally))
            {
                tally.Filtered++;
                continue;
            }

            _scratchSlots[tally.Candidates] = slot;
            _scratch[tally.Candidates++] = Candidate(group, request, slot, now);
        }

        return tally;
    }

    // What keeps the deployment from the job whatever its quota: a filter, its breaker, a spend cap.
    // A filter that removes it only for a while (a closed window) says when it may take the job:
    // the job waits for that as for quota, in its dispatch lane, rather than failing.
    private bool IsBarred(RoutingRequest request, DeploymentOptions deployment, ref Tally tally)
    {
        if (FirstBlockingFilter(request, deployment) is { } filter)
        {
            if (filter.OpensIn(request, deployment) is { } opens)
            {
                tally.WindowWaitSeconds = Math.Min(tally.WindowWaitSeconds, opens.TotalSeconds);
            }

            return true;
        }

        if (!_breakers.Allows(deployment.Id, out var breakerWait))
        {
            tally.BreakerWaitSeconds = Math.Min(tally.BreakerWaitSeconds, breakerWait.TotalSeconds);
            return true;
        }

        if (_spend.HasCaps && _spend.WouldCross(deployment, request.Tenant, DecimalCost(request, deployment)) is not null)
        {
            tally.OverBudget++;
            return true;
        }

        return false;
    }

    // Whether the deployment's quota takes the job now and it is not held for another job; when
    // not, how soon it may be, which the group's hold also hears of.
    private static bool Affords(IDeploymentHold? hold, RoutingRequest request, Slot slot, QuotaTokens tokens, double now, ref Tally tally)
    {
        if (hold is not null && hold.IsHeldForAnother(slot.Index, request.JobId, now, out var heldSeconds))
        {
            tally.QuotaWaitSeconds = Math.Min(tally.QuotaWaitSeconds, heldSeconds);
            return false;
        }

        var quota = slot.Quota;
        if (quota.CanAfford(tokens, now))
        {
            return true;
        }

        var wait = quota.SecondsUntilAffordable(tokens, now);
        tally.QuotaWaitSeconds = Math.Min(tally.QuotaWaitSeconds, wait);
        hold?.Consider(slot.Index, request, wait);
        return false;
    }

    // Only the facts the group's strategy weighs are worked out.
    private RoutingCandidate Candidate(Group group, RoutingRequest request, Slot slot, double now)
    {
        var quota = slot.Quota;
        return new RoutingCandidate(
            slot.Deployment,
            group.WeighsHeadroom ? quota.RequestHeadroom(now) : 0,
            group.WeighsHeadroom ? quota.TokenHeadroom(now) : 0,
            quota.InFlight,
            group.WeighsLatency ? _latency.MsPerToken(slot.Deployment.Id) : null,
            group.WeighsCost ? slot.Prices.Cost(request) : 0);
    }

    // No deployment can take the job: a spend cap ends it, unless waiting for quota or a breaker
    // may still help.
    private RoutingDecision Refuse(Group group, RoutingRequest request, RoutingRule? rule, bool[]? selects, in Tally tally, double now)
    {
        var quotaWait = !double.IsPositiveInfinity(tally.QuotaWaitSeconds);
        var windowWait = !double.IsPositiveInfinity(tally.WindowWaitSeconds);
        var breakerWait = !double.IsPositiveInfinity(tally.BreakerWaitSeconds);
        var wait = Math.Min(tally.QuotaWaitSeconds, tally.WindowWaitSeconds);
        return RoutingDecision.Refused(
            group.Strategy.Name,
            Explain(request, group.Slots, rule, selects, new QuotaTokens(request.EstimatedPromptTokens, request.MaxTokens), now),
            tally.OverBudget > 0 && !quotaWait && !windowWait && !breakerWait ? ErrorKind.BudgetExhausted : ErrorKind.NoDeployment,
            quotaWait || windowWait ? TimeSpan.FromSeconds(Math.Max(wait, 0.001)) : null,
            breakerWait ? TimeSpan.FromSeconds(Math.Max(tally.BreakerWaitSeconds, 0.001)) : null)
            with { Rule = rule, SentBy = request.SentBy, ForWindow = windowWait && !quotaWait };
    }

    // The job goes to the pick: whatever the group held for it is free again, and the attempt's
    // reservation is taken on the pick.
    private RoutingDecision Commit(Group group, RoutingRequest request, Slot pick, RoutingRule? rule, in Tally tally, double now)
    {
        group.Hold?.Routed(request.JobId);
        var sequence = _reservations.Reserve(pick.Deployment, pick.Quota, request.EstimatedPromptTokens, request.MaxTokens, request.Tenant, now);
        var weight = group.Strategy is WeightedAdaptiveStrategy adaptive ? adaptive.LastPick : null;
        return new RoutingDecision(
            pick.Deployment, group.Strategy.Name, sequence, tally.Candidates, tally.Filtered, null, ErrorKind.None, null, null, rule, request.SentBy, weight);
    }

    // Only the path where nothing can take the job spells out every deployment's reason.
    private string Explain(RoutingRequest request, Slot[] slots, RoutingRule? rule, bool[]? selects, QuotaTokens tokens, double now)
    {
        var text = new StringBuilder(rule is null
            ? $"no deployment of '{request.ModelGroup}' can take the job now: "
            : $"{rule.Description} matched and left no deployment of '{request.ModelGroup}' that can take the job now: ");
        for (var i = 0; i < slots.Length; i++)
        {
            var (d, quota) = (slots[i].Deployment, slots[i].Quota);
            var why = (selects is not null && !selects[slots[i].Index] ? "not selected by the rule" : null)
                ?? FirstBlockingFilter(request, d)?.Explain(request, d)
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

    // A model group with what routing reads for it on every decision, looked up once: its
    // deployments and their quotas, its strategy and the facts that weighs, and its hold, if its
    // jobs may wait for a deployment.
    private sealed class Group
    {
        public Group(ModelGroupOptions options, DeploymentOptions[] deployments, QuotaBook quotas, AdaptiveWeights? adaptive, IReadOnlyList<RoutingRule> rules)
        {
            HasRules = rules.Count > 0;
            RuleSelects = [.. rules.Select(r => r.SendsTo is null ? deployments.Select(r.Selects).ToArray() : null)];
            Deployments = deployments;
            Slots = [.. deployments.Select((d, i) => new Slot(i, d, quotas[d.Id]))];
            Strategy = RoutingStrategies.Create(options.Strategy, System.Random.Shared, adaptive);
            Hold = RoutingStrategies.CreateHold(options, deployments, quotas.Window);
            WeighsHeadroom = (Strategy.Weighs & CandidateFacts.Headroom) != 0;
            WeighsLatency = (Strategy.Weighs & CandidateFacts.Latency) != 0;
            WeighsCost = (Strategy.Weighs & CandidateFacts.Cost) != 0;
        }

        public DeploymentOptions[] Deployments { get; }

        public bool HasRules { get; }

        // Per rule, by its index: which of the group's deployments it leaves (null for a sending rule).
        public bool[]?[] RuleSelects { get; }

        public Slot[] Slots { get; }

        public IRoutingStrategy Strategy { get; }

        public IDeploymentHold? Hold { get; }

        public bool WeighsHeadroom { get; }

        public bool WeighsLatency { get; }

        public bool WeighsCost { get; }
    }

    // A deployment of a group, by its index there, with what routing reads for it on every
    // decision, looked up once.
    private sealed class Slot(int index, DeploymentOptions deployment, DeploymentQuota quota)
    {
        public int Index { get; } = index;

        public DeploymentOptions Deployment { get; } = deployment;

        public DeploymentQuota Quota { get; } = quota;

        public TokenPrices Prices { get; } = new(deployment);
    }

    // What gathering found: how many candidates; of the other deployments, how many were
    // filtered out or could not afford the job, how many of those over a spend cap, and the
    // soonest a quota, a window's opening or a breaker may let one take it.
    private struct Tally()
    {
        public int Candidates;
        public int Filtered;
        public int OverBudget;
        public double QuotaWaitSeconds = double.PositiveInfinity;
        public double WindowWaitSeconds = double.PositiveInfinity;
        public double BreakerWaitSeconds = double.PositiveInfinity;
    }
}
