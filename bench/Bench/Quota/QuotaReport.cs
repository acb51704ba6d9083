using System.Globalization;
using Dispatcher.Bench.Reporting;
using Dispatcher.Catalog;

namespace Dispatcher.Bench.Quota;

/// <summary>Prints the quota runs' figures as Markdown tables.</summary>
internal static class QuotaReport
{
    /// <summary>Writes the catalog, makespan, cost, per-deployment, window audit, in-flight, timeline and CPU tables.</summary>
    public static void Print(IReadOnlyList<QuotaRunResult> runs, TextWriter output)
    {
        if (runs.Count == 0)
        {
            return;
        }

        var first = runs[0];
        output.WriteLine();
        output.WriteLine(
            $"Quota ({Figures.Count(first.Jobs)} jobs per run on the embedded default; quota window {Secs(first.Window)} s, padding {first.Padding.ToString("0.###", CultureInfo.InvariantCulture)}; " +
            $"3 simulated deployments with {(first.LatencyMs == 0 ? "zero latency" : first.LatencyMs.ToString("0.##", CultureInfo.InvariantCulture) + " ms latency")} " +
            (first.ProvidersEnforce
                ? "that enforce the catalog's RPM/TPM over the same window):"
                : "that NEITHER enforce NOR report any limit, a diagnostic run: 429s cannot occur):"));
        output.WriteLine();
        output.WriteLine($"Catalog (limits per {Secs(first.Window)}-second window):");
        output.WriteLine();
        var catalog = new MarkdownTable("deployment", "RPM", "TPM", "input $/M", "output $/M");
        foreach (var d in QuotaCatalog.Deployments)
        {
            catalog.Row(d.Id, Figures.Count(d.Rpm), Figures.Count(d.Tpm), Price(d.InputPricePerMillion), Price(d.OutputPricePerMillion));
        }

        output.Write(catalog);

        var summary = new MarkdownTable(
            "strategy", "jobs ok", "failed", "provider 429s", "tokens", "makespan s", "lower bound s", "binding", "makespan ÷ bound", "target", "met");
        foreach (var r in runs)
        {
            var met = r.MakespanRatio <= QuotaSettings.MakespanTarget && r.Ledger.RateLimited == 0 && r.Ledger.Failed == 0;
            summary.Row(
                r.Strategy, Figures.Count(r.Ledger.Succeeded), Figures.Count(r.Ledger.Failed), Figures.Count(r.Ledger.RateLimited),
                Figures.Count(r.Ledger.PromptTokens + r.Ledger.CompletionTokens), Figures.Seconds(r.Makespan), Figures.Seconds(r.LowerBound.Makespan),
                r.LowerBound.Binding, Three(r.MakespanRatio), $"0 429s, <= {Three(QuotaSettings.MakespanTarget)}", met ? "yes" : "no");
        }

        output.WriteLine();
        output.WriteLine("Makespan (first job published until the ledger shows the batch complete) against the quota lower bound; 429s are attempts the ledger recorded with error RateLimited:");
        output.WriteLine();
        output.Write(summary);

        var cost = new MarkdownTable(
            "strategy", "total cost $", "at the average mix $", "cheapest feasible $", "cost ÷ cheapest", "job mix (cost ÷ average mix)", "allocation (average mix ÷ cheapest)", "target", "met");
        foreach (var r in runs)
        {
            var ratio = r.CostRatio;
            var isCost = r.Strategy == StrategyNames.CostBased;
            cost.Row(
                r.Strategy,
                Dollars(r.Ledger.Cost),
                Dollars(r.AverageMixCost),
                r.Cheapest is { } c ? Dollars((double)c.Cost) : "none",
                ratio is { } x ? Three(x) : "-",
                Three(r.Ledger.Cost / r.AverageMixCost),
                r.Cheapest is { Cost: > 0 } c2 ? Three(r.AverageMixCost / (double)c2.Cost) : "-",
                isCost ? "<= " + Three(QuotaSettings.CostTarget) : "",
                isCost ? (ratio <= QuotaSettings.CostTarget ? "yes" : "no") : "");
        }

        output.WriteLine();
        output.WriteLine(
            "Cost against the cheapest feasible assignment within the same makespan (the batch poured into the cheapest deployments first, up to their RPM/TPM over makespan ÷ window windows). " +
            "'At the average mix' prices each deployment's measured tokens as if its jobs had the batch's average prompt/completion mix, which splits the ratio into which jobs went where (job mix) and how much went where (allocation):");
        output.WriteLine();
        output.Write(cost);

        var perDeployment = new MarkdownTable(
            "strategy", "deployment", "jobs", "share", "cheapest-feasible share", "tokens", "requests ÷ capacity", "tokens ÷ capacity", "429s", "cost $");
        foreach (var r in runs)
        {
            var windows = r.Makespan / r.Window;
            foreach (var d in QuotaCatalog.Deployments)
            {
                var used = r.Ledger.ByDeployment.GetValueOrDefault(d.Id) ?? new DeploymentUsage(d.Id, 0, 0, 0, 0, 0, 0);
                perDeployment.Row(
                    r.Strategy, d.Id, Figures.Count(used.Jobs), Percent1(100.0 * used.Jobs / Math.Max(1, r.Ledger.Succeeded)),
                    r.Cheapest?.Shares.GetValueOrDefault(d.Id) is { } s ? Percent1(100.0 * s) : "-",
                    Figures.Count(used.Tokens), Three(used.Jobs / (windows * d.Rpm)), Three(used.Tokens / (windows * d.Tpm)),
                    Figures.Count(r.Ledger.RateLimitedByDeployment.GetValueOrDefault(d.Id)), Dollars(used.Cost));
            }
        }

        output.WriteLine();
        output.WriteLine("Per deployment (capacity = the deployment's per-window limit × makespan ÷ window):");
        output.WriteLine();
        output.Write(perDeployment);

        var held = new MarkdownTable(
            "strategy", "deployment", "reserved ÷ used tokens per job", "mean in flight", "peak in flight", "mean reserve-to-settle ms", "excess held ÷ TPM");
        foreach (var r in runs)
        {
            foreach (var d in QuotaCatalog.Deployments)
            {
                if (r.Ledger.ByDeployment.GetValueOrDefault(d.Id) is not { Jobs: > 0 } used || !r.InFlight.TryGetValue(d.Id, out var inFlight))
                {
                    continue;
                }

                // Little's law: time in flight = mean number in flight ÷ the rate jobs went through.
                var settleMs = inFlight.Mean / (used.Jobs / r.Makespan.TotalSeconds) * 1000;
                var excessPerJob = (double)(used.ReservedTokens - used.Tokens) / used.Jobs;
                held.Row(
                    r.Strategy, d.Id, Three((double)used.ReservedTokens / used.Tokens), One(inFlight.Mean), Figures.Count(inFlight.Peak),
                    One(settleMs), Three(inFlight.Mean * excessPerJob / d.Tpm));
            }
        }

        var audit = new MarkdownTable(
            "strategy", "deployment", "requests counted", "calls recorded", "tokens counted", "tokens the calls used", "counted ÷ used", "excess ÷ TPM");
        foreach (var r in runs)
        {
            foreach (var d in QuotaCatalog.Deployments)
            {
                var counted = r.Audit.Counted[d.Id];
                var calls = r.Ledger.CallsInAuditSpan.GetValueOrDefault(d.Id);
                audit.Row(
                    r.Strategy, d.Id, One(counted.Requests), Figures.Count(calls.Requests), Figures.Count((long)Math.Round(counted.Tokens)), Figures.Count(calls.Tokens),
                    calls.Tokens == 0 ? "-" : Three(counted.Tokens / calls.Tokens), Three((counted.Tokens - calls.Tokens) / d.Tpm));
            }
        }

        output.WriteLine();
        output.WriteLine(
            $"Window audit: {Secs(first.Audit.Span * 0.2)} s after the batch ended (every outcome settled, buckets refilled), what each deployment's dispatcher windows " +
            $"({Secs(first.Audit.Span)} s with the padding) still counted, against the successful calls the ledger recorded during those {Secs(first.Audit.Span)} s:");
        output.WriteLine();
        output.Write(audit);

        output.WriteLine();
        output.WriteLine(
            "Reservations in flight (sampled every 50 ms): until its outcome is settled an attempt holds its whole estimate (prompt estimate + max_tokens); " +
            "'excess held' is the mean in flight × (reserved − used) per job, as a share of the deployment's TPM:");
        output.WriteLine();
        output.Write(held);

        foreach (var r in runs)
        {
            var timeline = new MarkdownTable(
                ["window", .. QuotaCatalog.Deployments.Select(d => d.Id + " tokens ÷ TPM"), .. QuotaCatalog.Deployments.Select(d => d.Id + " requests ÷ RPM")]);
            foreach (var w in r.Ledger.Timeline)
            {
                timeline.Row(
                [
                    w.Index.ToString(CultureInfo.InvariantCulture),
                    .. QuotaCatalog.Deployments.Select(d => Three((double)w.ByDeployment.GetValueOrDefault(d.Id).Tokens / d.Tpm)),
                    .. QuotaCatalog.Deployments.Select(d => Three((double)w.ByDeployment.GetValueOrDefault(d.Id).Requests / d.Rpm)),
                ]);
            }

            output.WriteLine();
            output.WriteLine($"{r.Strategy}: successful calls per {Secs(r.Window)}-second window from the first publish (by the ledger's recorded_at), as shares of each deployment's limit:");
            output.WriteLine();
            output.Write(timeline);
        }

        var cpu = new MarkdownTable("strategy", "wall s", "published in s", "bench (whole pipeline) % of a core", "everything else % of a core", "machine busy");
        foreach (var r in runs)
        {
            cpu.Row(
                r.Strategy, Figures.Seconds(r.Cpu.Wall), Figures.Seconds(r.PublishTime), Figures.Percent(r.Cpu.PercentOfOneCore["bench"]),
                Figures.Percent(r.Cpu.OtherPercentOfOneCore), Figures.Percent(r.Cpu.MachineBusyPercent));
        }

        output.WriteLine();
        output.WriteLine($"CPU during each run ({Environment.ProcessorCount} cores; 100 % = one core busy):");
        output.WriteLine();
        output.Write(cpu);
    }

    private static string Secs(TimeSpan t) => t.TotalSeconds.ToString("0.##", CultureInfo.InvariantCulture);

    private static string One(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);

    private static string Three(double value) => value.ToString("0.000", CultureInfo.InvariantCulture);

    private static string Percent1(double percent) => percent.ToString("0.0", CultureInfo.InvariantCulture) + " %";

    private static string Price(decimal value) => value.ToString("0.00", CultureInfo.InvariantCulture);

    private static string Dollars(double value) => value.ToString("0.000000", CultureInfo.InvariantCulture);
}
