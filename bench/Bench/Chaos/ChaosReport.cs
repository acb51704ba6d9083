using System.Globalization;
using Dispatcher.Bench.Reporting;

namespace Dispatcher.Bench.Chaos;

/// <summary>Prints the chaos runs as Markdown: one row per run, the faults and repeated calls by kind, each run's fault log and failed checks.</summary>
internal static class ChaosReport
{
    public static void Print(ChaosSettings settings, IReadOnlyList<ChaosRun> runs, TextWriter output)
    {
        output.WriteLine();
        output.WriteLine(
            $"{settings.Jobs:N0} jobs, 3 simulated deployments ({Figures.One(settings.LatencyMs)} ms median latency, 1 % 5xx, 2 % 429 with Retry-After 1 s, " +
            $"{ChaosCatalog.Rpm} requests per {ChaosCatalog.QuotaWindow.TotalSeconds:0} s window each, MaxParallel {settings.MaxParallel} per worker, " +
            $"{ChaosCatalog.OutageDeployment} hard down {ChaosCatalog.OutageLength.TotalSeconds:0} s), one Dispatcher, {ChaosSettings.Workers} Workers and " +
            $"`submit --wait` as separate processes on a private RabbitMQ node; faults every {ChaosSettings.MinPause.TotalSeconds:0}-{ChaosSettings.MaxPause.TotalSeconds:0} s " +
            $"for up to {settings.Duration.TotalMinutes:0.#} min.");
        output.WriteLine();
        var table = new MarkdownTable(
            "run", "seed", "jobs lost", "duplicate result lines", "unfinished", "succeeded", "failed", "attempts sent", "provider calls",
            "repeated provider calls", "busiest window (first calls / all calls, limit " + ChaosCatalog.Rpm + ")",
            "in flight / spend reserved / probe slots at the end", "faults", "completion time (s)", "checks");
        foreach (var run in runs)
        {
            table.Row(
                Figures.Count(run.Number),
                run.Seed.ToString(CultureInfo.InvariantCulture),
                Figures.Count(run.Tally.Lost),
                Figures.Count(run.Tally.DuplicateLines),
                Figures.Count(run.Tally.Unfinished),
                Figures.Count(run.Tally.Succeeded),
                Figures.Count(run.Tally.Failed),
                Figures.Count(run.Tally.Attempts),
                Figures.Count(run.ProviderCalls),
                Figures.Count(run.RepeatedCalls),
                $"{Figures.Count(run.Peaks.Values.Max(p => p.FirstCalls))} / {Figures.Count(run.Peaks.Values.Max(p => p.AllCalls))}",
                $"{run.Final.InFlight} / {run.Final.Reserved.ToString(CultureInfo.InvariantCulture)} / {run.Final.Probes}",
                Figures.Count(run.Faults.Count),
                Figures.Seconds(run.Completion),
                run.Failures.Count == 0 ? "pass" : "FAIL");
        }

        output.Write(table.ToString());
        output.WriteLine();
        var kinds = Enum.GetValues<FaultKind>().Select(k => k.ToString()).Append(RepeatAttribution.Unattributed).ToList();
        var byKind = new MarkdownTable(["run", .. kinds.Select(k => k + ": faults / repeated calls")]);
        foreach (var run in runs)
        {
            byKind.Row([
                Figures.Count(run.Number),
                .. kinds.Select(k =>
                    $"{(k == RepeatAttribution.Unattributed ? "-" : Figures.Count(run.Faults.Count(f => f.Kind.ToString() == k)))} / {Figures.Count(run.RepeatedByFault.GetValueOrDefault(k))}")]);
        }

        output.Write(byKind.ToString());
        foreach (var run in runs)
        {
            output.WriteLine();
            output.WriteLine($"Run {run.Number} (seed {run.Seed}), fault log:");
            output.WriteLine();
            var faults = new MarkdownTable("time (s)", "fault", "jobs ended", "detail");
            foreach (var f in run.Faults)
            {
                faults.Row(Figures.One(f.Elapsed.TotalSeconds), f.Kind.ToString(), Figures.Count(f.Ended), f.Detail);
            }

            output.Write(faults.ToString());
            foreach (var failure in run.Failures)
            {
                output.WriteLine($"- FAILED: {failure}");
            }
        }
    }
}
