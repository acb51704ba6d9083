using Dispatcher.Bench.Processes;

namespace Dispatcher.Bench.Quota;

/// <summary>One measured quota run and the references it is judged against.</summary>
/// <param name="Strategy">The model group's strategy.</param>
/// <param name="Jobs">Jobs in the batch.</param>
/// <param name="Window">The quota window (the catalog's and the providers').</param>
/// <param name="Padding">The catalog's QuotaWindowPadding.</param>
/// <param name="ProvidersEnforce">Whether the simulated providers enforced (and reported) the limits.</param>
/// <param name="LatencyMs">The simulated providers' fixed latency per call.</param>
/// <param name="Makespan">From the first job published until the ledger showed the batch complete.</param>
/// <param name="PublishTime">How long publishing the batch took.</param>
/// <param name="Cpu">CPU used meanwhile (the whole pipeline runs in the bench process).</param>
/// <param name="InFlight">Attempts reserved and not yet settled, per deployment, sampled during the run.</param>
/// <param name="Audit">What the dispatcher's windows still counted once the run had ended.</param>
/// <param name="Ledger">What the ledger recorded.</param>
internal sealed record QuotaRunResult(
    string Strategy,
    int Jobs,
    TimeSpan Window,
    double Padding,
    bool ProvidersEnforce,
    double LatencyMs,
    TimeSpan Makespan,
    TimeSpan PublishTime,
    CpuUsage Cpu,
    IReadOnlyDictionary<string, InFlight> InFlight,
    WindowReading Audit,
    LedgerFigures Ledger)
{
    /// <summary>The quota lower bound for the tokens and requests the batch really used.</summary>
    public QuotaLowerBound LowerBound =>
        QuotaBounds.LowerBound(QuotaCatalog.Deployments, Ledger.Succeeded, Ledger.PromptTokens, Ledger.CompletionTokens, Window);

    /// <summary>Makespan ÷ the quota lower bound.</summary>
    public double MakespanRatio => Makespan / LowerBound.Makespan;

    /// <summary>The cheapest feasible assignment within this run's makespan; null when none exists.</summary>
    public CheapestAssignment? Cheapest =>
        QuotaBounds.CheapestFeasible(QuotaCatalog.Deployments, Ledger.Succeeded, Ledger.PromptTokens, Ledger.CompletionTokens, Makespan, Window);

    /// <summary>The cost of this run's token allocation with every deployment's jobs of the batch's average mix.</summary>
    public double AverageMixCost => (double)QuotaBounds.AverageMixCost(
        QuotaCatalog.Deployments, Ledger.ByDeployment.ToDictionary(d => d.Key, d => d.Value.Tokens), Ledger.PromptTokens, Ledger.CompletionTokens);

    /// <summary>Total cost ÷ the cheapest feasible assignment's; null when there is none.</summary>
    public double? CostRatio => Cheapest is { Cost: > 0 } c ? Ledger.Cost / (double)c.Cost : null;
}
