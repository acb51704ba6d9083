namespace Dispatcher.Bench.Quota;

/// <summary>
/// The references a quota run is judged against: the shortest makespan the deployments' limits
/// allow, and the cheapest way to fit the same work into the measured makespan.
/// </summary>
internal static class QuotaBounds
{
    /// <summary>
    /// The quota lower bound on the makespan: for each dimension every deployment limits
    /// (requests, tokens, and for the Anthropic limit model input and output tokens apart), the
    /// total the batch used divided by the sum of the deployments' per-window limits, times the
    /// window; the largest of them, which names the binding dimension.
    /// </summary>
    /// <remarks>
    /// A dimension that some deployment does not limit bounds nothing: that deployment could in
    /// principle carry the whole of it. Input and output are counted as the Anthropic model counts
    /// them with no prompt caching: prompt tokens toward input, completion tokens toward output.
    /// </remarks>
    public static QuotaLowerBound LowerBound(IReadOnlyList<DeploymentLimit> deployments, long requests, long promptTokens, long completionTokens, TimeSpan window)
    {
        (string Name, long Used, Func<DeploymentLimit, int?> Limit)[] dimensions =
        [
            ("requests", requests, d => d.Rpm),
            ("tokens", promptTokens + completionTokens, d => d.Tpm),
            ("input tokens", promptTokens, d => d.InputTpm),
            ("output tokens", completionTokens, d => d.OutputTpm),
        ];
        var bound = new QuotaLowerBound(TimeSpan.Zero, "none");
        foreach (var (name, used, limit) in dimensions)
        {
            if (deployments.Any(d => limit(d) is null or <= 0))
            {
                continue;
            }

            var windows = (double)used / deployments.Sum(d => (long)limit(d)!.Value);
            if (window * windows > bound.Makespan)
            {
                bound = new QuotaLowerBound(window * windows, name);
            }
        }

        return bound;
    }

    /// <summary>
    /// The cheapest feasible assignment within <paramref name="makespan"/>: the batch as a fluid
    /// (every fraction of it carries the same share of its requests, prompt tokens and completion
    /// tokens), poured into the cheapest deployment first, up to what its RPM and TPM allow in
    /// makespan ÷ window windows, then the next cheapest, and so on. Null when even every
    /// deployment's full capacity cannot hold the batch in that time.
    /// </summary>
    /// <remarks>
    /// With the work divisible and every deployment's capacity independent, pouring cheapest first
    /// is the optimum of that fluid problem. Real jobs differ in their prompt/completion mix, so an
    /// assignment that knew every job's actual completion in advance could in principle do slightly
    /// better than this reference; routing only knows the estimate.
    /// </remarks>
    public static CheapestAssignment? CheapestFeasible(
        IReadOnlyList<DeploymentLimit> deployments, long requests, long promptTokens, long completionTokens, TimeSpan makespan, TimeSpan window)
    {
        var windows = makespan / window;
        var tokens = promptTokens + completionTokens;
        var remaining = 1.0;
        var cost = 0m;
        var shares = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var d in deployments.OrderBy(d => WholeBatchCost(d, promptTokens, completionTokens)))
        {
            var capacity = Math.Min(windows * d.Rpm / requests, windows * d.Tpm / tokens);
            var share = Math.Min(remaining, capacity);
            shares[d.Id] = share;
            cost += (decimal)share * WholeBatchCost(d, promptTokens, completionTokens);
            remaining -= share;
        }

        return remaining > 1e-9 ? null : new CheapestAssignment(cost, shares);
    }

    /// <summary>
    /// What the batch would have cost with each deployment's share of its tokens as measured but
    /// every deployment's jobs of the batch's average prompt/completion mix: the cost of the
    /// allocation alone, without which jobs went where.
    /// </summary>
    public static decimal AverageMixCost(IReadOnlyList<DeploymentLimit> deployments, IReadOnlyDictionary<string, long> tokensByDeployment, long promptTokens, long completionTokens)
    {
        var tokens = (decimal)(promptTokens + completionTokens);
        return deployments.Sum(d => tokensByDeployment.GetValueOrDefault(d.Id) / tokens * WholeBatchCost(d, promptTokens, completionTokens));
    }

    /// <summary>What the whole batch would cost on one deployment.</summary>
    private static decimal WholeBatchCost(DeploymentLimit d, long promptTokens, long completionTokens) =>
        ((promptTokens * d.InputPricePerMillion) + (completionTokens * d.OutputPricePerMillion)) / 1_000_000m;
}

/// <summary>The quota lower bound on a makespan, and which dimension sets it.</summary>
internal sealed record QuotaLowerBound(TimeSpan Makespan, string Binding);

/// <summary>The cheapest feasible assignment: its cost, and each deployment's share of the batch (0..1).</summary>
internal sealed record CheapestAssignment(decimal Cost, IReadOnlyDictionary<string, double> Shares);
