using Dispatcher.Bench.Processes;

namespace Dispatcher.Bench.Quota.Scenarios;

/// <summary>One fairness run: tenant A's large batch, and tenant B's small one when it ran.</summary>
/// <param name="LargeMakespan">From A's first job published until the ledger showed A's batch complete.</param>
/// <param name="Large">What the ledger recorded for A's batch.</param>
/// <param name="SmallSubmitted">When B's batch began to be published, from A's first job; null when B did not run.</param>
/// <param name="SmallFinish">From B's submission until the ledger showed B's batch complete.</param>
/// <param name="Small">What the ledger recorded for B's batch.</param>
/// <param name="Cpu">CPU used meanwhile.</param>
internal sealed record FairnessRun(
    TimeSpan LargeMakespan, LedgerFigures Large, TimeSpan? SmallSubmitted, TimeSpan? SmallFinish, LedgerFigures? Small, CpuUsage Cpu)
{
    /// <summary>Provider 429s over both batches.</summary>
    public long RateLimited => Large.RateLimited + (Small?.RateLimited ?? 0);

    /// <summary>The quota lower bound for all the work of the run (both batches).</summary>
    public QuotaLowerBound LowerBound(TimeSpan window) => QuotaBounds.LowerBound(
        QuotaCatalog.Deployments,
        Large.Succeeded + (Small?.Succeeded ?? 0),
        Large.PromptTokens + (Small?.PromptTokens ?? 0),
        Large.CompletionTokens + (Small?.CompletionTokens ?? 0),
        window);
}

/// <summary>The fairness runs and the figures they are judged by.</summary>
/// <param name="Settings">How they ran.</param>
/// <param name="Strategy">The model group's strategy.</param>
/// <param name="Alone">Tenant A's batch alone.</param>
/// <param name="Shared">Tenant A's batch with tenant B's behind it.</param>
internal sealed record FairnessResult(FairnessSettings Settings, string Strategy, FairnessRun Alone, FairnessRun Shared)
{
    /// <summary>B's finish after its submission, in quota windows.</summary>
    public double SmallWindows => Shared.SmallFinish!.Value / Settings.Window;

    /// <summary>B's share of the shared run's tokens (prompt plus completion).</summary>
    public double SmallShare
    {
        get
        {
            var small = Shared.Small!.PromptTokens + Shared.Small.CompletionTokens;
            return (double)small / (small + Shared.Large.PromptTokens + Shared.Large.CompletionTokens);
        }
    }

    /// <summary>How much longer A's batch took with B's beside it, as a share of its makespan alone.</summary>
    public double LargeGrowth => (Shared.LargeMakespan / Alone.LargeMakespan) - 1;

    /// <summary>
    /// The time B's tokens take at half of every deployment's token limit, its fair share with
    /// equal weights: the least B's finish can be while A still has work waiting.
    /// </summary>
    public TimeSpan SmallAtHalf =>
        Settings.Window * ((double)(Shared.Small!.PromptTokens + Shared.Small.CompletionTokens) / (QuotaCatalog.Deployments.Sum(d => (double)d.Tpm) / 2));

    /// <summary>Whether B finished within its target and A grew by no more than B's share of the work, with no 429 and nothing failed.</summary>
    public bool Met =>
        SmallWindows <= FairnessSettings.SmallTargetWindows && LargeGrowth <= SmallShare &&
        Alone.RateLimited + Shared.RateLimited == 0 && Alone.Large.Failed + Shared.Large.Failed + Shared.Small!.Failed == 0;
}
