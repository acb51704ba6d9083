using Dispatcher.Bench.Processes;

namespace Dispatcher.Bench.Quota.Scenarios;

/// <summary>One measured run of a <see cref="QuotaScenario"/>.</summary>
/// <param name="Scenario">The batch and its catalog.</param>
/// <param name="Strategy">The model group's strategy.</param>
/// <param name="Jobs">Jobs in the batch.</param>
/// <param name="Window">The quota window (the catalog's and the providers').</param>
/// <param name="Makespan">From the first job published until the ledger showed the batch complete.</param>
/// <param name="Cpu">CPU used meanwhile.</param>
/// <param name="Ledger">What the ledger recorded.</param>
internal sealed record ScenarioRunResult(QuotaScenario Scenario, string Strategy, int Jobs, TimeSpan Window, TimeSpan Makespan, CpuUsage Cpu, LedgerFigures Ledger)
{
    /// <summary>The quota lower bound for what the batch really used, in every dimension its deployments limit.</summary>
    public QuotaLowerBound LowerBound =>
        QuotaBounds.LowerBound(Scenario.Shape.Deployments, Ledger.Succeeded, Ledger.PromptTokens, Ledger.CompletionTokens, Window);

    /// <summary>Makespan ÷ the quota lower bound.</summary>
    public double MakespanRatio => Makespan / LowerBound.Makespan;

    /// <summary>Whether the run met its targets: every job done, no provider 429, makespan within the target of the bound.</summary>
    public bool Met => Ledger.Failed == 0 && Ledger.RateLimited == 0 && MakespanRatio <= QuotaSettings.MakespanTarget;
}
