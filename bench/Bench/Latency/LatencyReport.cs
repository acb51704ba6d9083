using System.Globalization;
using Dispatcher.Bench.Reporting;

namespace Dispatcher.Bench.Latency;

/// <summary>Prints a latency run's figures as Markdown tables.</summary>
internal static class LatencyReport
{
    private static readonly string[] Processes = ["bench", "dispatcher", "workers", "broker"];

    /// <summary>Writes the latency, breakdown and CPU tables.</summary>
    public static void Print(LatencyResults r, TextWriter output)
    {
        var s = r.Settings;
        output.WriteLine();
        output.WriteLine(
            $"Dispatch latency (result received − submitted − the provider's own time; {ProductEnvironmentText(s)}; " +
            $"capacity {Figures.Rate(r.Capacity)} jobs/s, {(r.CapacityMeasured ? "measured in this run" : "given")}; jobs sent one a message for {s.Duration.TotalSeconds:0} s at each rate):");
        output.WriteLine();
        var latency = new MarkdownTable("offered", "jobs/s", "jobs", "p50 ms", "p99 ms", "max ms", "provider's own ms (p50)", "target p99", "met");
        foreach (var run in r.Runs)
        {
            var dispatch = run.Jobs.Select(j => j.Dispatch).ToArray();
            var p99 = LatencyBenchmark.Percentile(dispatch, 0.99);
            latency.Row(
                run.Label, Figures.Rate(run.Rate), Figures.Count(run.Jobs.Count), Ms(LatencyBenchmark.Percentile(dispatch, 0.5)), Ms(p99), Ms(dispatch.Max()),
                Ms(LatencyBenchmark.Percentile(run.Jobs.Select(j => j.ProviderMs), 0.5)), "<= " + Ms(run.TargetMs), p99 <= run.TargetMs ? "yes" : "no");
        }

        output.Write(latency);
        output.WriteLine();
        output.WriteLine("Where it goes, p50 / p99 of each part in milliseconds (from the ledger's timestamps; the parts of one job add up to its latency):");
        output.WriteLine();
        var parts = new MarkdownTable("offered", "submit → recorded", "recorded → attempt claimed", "claimed → outcome recorded, less the call", "worker's call less the provider's", "outcome recorded → result received");
        foreach (var run in r.Runs)
        {
            parts.Row(
                run.Label, Part(run, j => j.Intake), Part(run, j => j.Routing), Part(run, j => j.Hops), Part(run, j => j.WorkerCall), Part(run, j => j.Result));
        }

        output.Write(parts);
        output.WriteLine();
        output.WriteLine("CPU during each run (milliseconds per job; other work in % of a core):");
        output.WriteLine();
        var cpu = new MarkdownTable(["offered", "wall s", .. Processes.Select(p => p + " ms"), "other work, % of a core"]);
        foreach (var run in r.Runs)
        {
            cpu.Row(
            [
                run.Label, Figures.Seconds(run.Cpu.Wall),
                .. Processes.Select(p => run.Cpu.MsPer(p, run.Jobs.Count) is { } ms ? ms.ToString("0.000", CultureInfo.InvariantCulture) : "-"),
                Figures.Percent(run.Cpu.OtherPercentOfOneCore),
            ]);
        }

        output.Write(cpu);
    }

    private static string ProductEnvironmentText(LatencySettings s) =>
        $"{Pipeline.ProductEnvironment.Deployments.Count} simulated deployments with a fixed {s.LatencyMs} ms latency, MaxParallel {s.MaxParallel}";

    private static string Part(LatencyRun run, Func<JobTimes, double> part)
    {
        var values = run.Jobs.Select(part).ToArray();
        return $"{Ms(LatencyBenchmark.Percentile(values, 0.5))} / {Ms(LatencyBenchmark.Percentile(values, 0.99))}";
    }

    private static string Ms(double ms) => ms.ToString("0.00", CultureInfo.InvariantCulture);
}
