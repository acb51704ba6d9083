using System.Globalization;
using Dispatcher.Bench.Reporting;

namespace Dispatcher.Bench.Quota.Scenarios;

/// <summary>Prints the cjk, tools, anthropic and fairness runs' figures as Markdown tables.</summary>
internal static class ScenarioReport
{
    /// <summary>Writes the makespan and per-deployment tables of the scenario runs.</summary>
    public static void Print(IReadOnlyList<ScenarioRunResult> runs, TextWriter output)
    {
        if (runs.Count == 0)
        {
            return;
        }

        var catalog = new MarkdownTable("scenario", "deployment", "limit model", "RPM", "TPM", "input TPM", "output TPM");
        foreach (var r in runs)
        {
            foreach (var d in r.Scenario.Shape.Deployments)
            {
                catalog.Row(
                    r.Scenario.Name, d.Id, d.IsAnthropic ? "Anthropic" : "OpenAI", Figures.Count(d.Rpm), d.Tpm > 0 ? Figures.Count(d.Tpm) : "-",
                    d.InputTpm is { } i ? Figures.Count(i) : "-", d.OutputTpm is { } o ? Figures.Count(o) : "-");
            }
        }

        output.WriteLine();
        output.WriteLine($"Quota scenarios (embedded default; limits per {Secs(runs[0].Window)}-second window, enforced by the simulated providers with the deployment's own tokenizer):");
        output.WriteLine();
        output.Write(catalog);

        var summary = new MarkdownTable(
            "scenario", "strategy", "jobs ok", "failed", "provider 429s", "prompt tokens", "estimate ÷ provider count", "completion tokens",
            "makespan s", "lower bound s", "binding", "makespan ÷ bound", "target", "met");
        foreach (var r in runs)
        {
            var l = r.Ledger;
            summary.Row(
                r.Scenario.Name, r.Strategy, Figures.Count(l.Succeeded), Figures.Count(l.Failed), Figures.Count(l.RateLimited),
                Figures.Count(l.PromptTokens), l.PromptTokens == 0 ? "-" : Three((double)l.EstimatedPromptTokens / l.PromptTokens),
                Figures.Count(l.CompletionTokens), Figures.Seconds(r.Makespan), Figures.Seconds(r.LowerBound.Makespan), r.LowerBound.Binding,
                Three(r.MakespanRatio), $"0 429s, <= {Three(QuotaSettings.MakespanTarget)}", r.Met ? "yes" : "no");
        }

        output.WriteLine();
        output.WriteLine(
            "Makespan against the quota lower bound of the dimension that binds (requests, tokens, input or output tokens: what the batch used ÷ the sum of the deployments' limits, × the window); " +
            "'estimate ÷ provider count' is the dispatcher's prompt estimate against the prompt tokens the providers counted:");
        output.WriteLine();
        output.Write(summary);

        var perDeployment = new MarkdownTable(
            "scenario", "deployment", "jobs", "prompt tokens", "completion tokens", "requests ÷ capacity", "binding ÷ capacity", "429s", "cost $");
        foreach (var r in runs)
        {
            var windows = r.Makespan / r.Window;
            foreach (var d in r.Scenario.Shape.Deployments)
            {
                var used = r.Ledger.ByDeployment.GetValueOrDefault(d.Id) ?? new DeploymentUsage(d.Id, 0, 0, 0, 0, 0, 0);
                var binding = r.LowerBound.Binding switch
                {
                    "input tokens" => (double)used.PromptTokens / d.InputTpm!.Value,
                    "output tokens" => (double)used.CompletionTokens / d.OutputTpm!.Value,
                    "requests" => (double)used.Jobs / d.Rpm,
                    _ => (double)used.Tokens / d.Tpm,
                };
                perDeployment.Row(
                    r.Scenario.Name, d.Id, Figures.Count(used.Jobs), Figures.Count(used.PromptTokens), Figures.Count(used.CompletionTokens),
                    Three(used.Jobs / (windows * d.Rpm)), Three(binding / windows),
                    Figures.Count(r.Ledger.RateLimitedByDeployment.GetValueOrDefault(d.Id)), used.Cost.ToString("0.000000", CultureInfo.InvariantCulture));
            }
        }

        output.WriteLine();
        output.WriteLine("Per deployment (capacity = the deployment's per-window limit × makespan ÷ window; 'binding' is the run's binding dimension):");
        output.WriteLine();
        output.Write(perDeployment);

        var cpu = new MarkdownTable("scenario", "wall s", "bench (whole pipeline) % of a core", "everything else % of a core", "machine busy");
        foreach (var r in runs)
        {
            cpu.Row(
                r.Scenario.Name, Figures.Seconds(r.Cpu.Wall), Figures.Percent(r.Cpu.PercentOfOneCore["bench"]),
                Figures.Percent(r.Cpu.OtherPercentOfOneCore), Figures.Percent(r.Cpu.MachineBusyPercent));
        }

        output.WriteLine();
        output.WriteLine($"CPU during each scenario run ({Environment.ProcessorCount} cores; 100 % = one core busy):");
        output.WriteLine();
        output.Write(cpu);
    }

    /// <summary>Writes the fairness runs' tables.</summary>
    public static void Print(FairnessResult f, TextWriter output)
    {
        var s = f.Settings;
        var runs = new MarkdownTable(
            "run", $"{FairnessBenchmark.Large} jobs", $"{FairnessBenchmark.Large} makespan s", "lower bound (all work) s", "makespan ÷ bound",
            $"{FairnessBenchmark.Small} submitted at s", $"{FairnessBenchmark.Small} done after s", "in windows", "at half the capacity s", "provider 429s", "failed", "other work % of a core");
        foreach (var (name, r) in new[] { ($"{FairnessBenchmark.Large} alone", f.Alone), ($"{FairnessBenchmark.Large}, then {FairnessBenchmark.Small}", f.Shared) })
        {
            var bound = r.LowerBound(s.Window);
            runs.Row(
                name, Figures.Count(r.Large.Succeeded), Figures.Seconds(r.LargeMakespan), Figures.Seconds(bound.Makespan), Three(r.LargeMakespan / bound.Makespan),
                r.SmallSubmitted is { } at ? Figures.Seconds(at) : "-",
                r.SmallFinish is { } done ? Figures.Seconds(done) : "-",
                r.SmallFinish is { } d2 ? Two(d2 / s.Window) : "-",
                r.Small is not null ? Figures.Seconds(f.SmallAtHalf) : "-",
                Figures.Count(r.RateLimited), Figures.Count(r.Large.Failed + (r.Small?.Failed ?? 0)), Figures.Percent(r.Cpu.OtherPercentOfOneCore));
        }

        var verdict = new MarkdownTable(
            $"{FairnessBenchmark.Small} done in windows", "target", $"{FairnessBenchmark.Large} makespan growth", $"{FairnessBenchmark.Small}'s share of the tokens", "target", "met");
        verdict.Row(
            Two(f.SmallWindows), "<= " + Two(FairnessSettings.SmallTargetWindows),
            Percent2(100 * f.LargeGrowth), Percent2(100 * f.SmallShare), "growth <= share", f.Met ? "yes" : "no");

        output.WriteLine();
        output.WriteLine(
            $"Fairness ({f.Strategy}; the English batch's catalog over a {Secs(s.Window)}-second window; {FairnessBenchmark.Large} publishes {Figures.Count(s.LargeJobs)} jobs, " +
            $"{FairnessBenchmark.Small} {Figures.Count(s.SmallJobs)} jobs {Secs(s.Delay)} s after {FairnessBenchmark.Large}'s first (once {FairnessBenchmark.Large}'s are all published), equal weights; " +
            $"'at half the capacity' is the time {FairnessBenchmark.Small}'s tokens take at half of every deployment's TPM, its fair share):");
        output.WriteLine();
        output.Write(runs);
        output.WriteLine();
        output.Write(verdict);
    }

    private static string Secs(TimeSpan t) => t.TotalSeconds.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Two(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);

    private static string Three(double value) => value.ToString("0.000", CultureInfo.InvariantCulture);

    private static string Percent2(double percent) => percent.ToString("0.00", CultureInfo.InvariantCulture) + " %";
}
