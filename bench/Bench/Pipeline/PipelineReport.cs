using Dispatcher.Bench.Processes;
using Dispatcher.Bench.Reporting;
using Dispatcher.Ledger;

namespace Dispatcher.Bench.Pipeline;

/// <summary>Prints a pipeline run's figures as Markdown tables.</summary>
internal static class PipelineReport
{

    private static readonly string NarrowLabel =
        $"raw, {PipelineSettings.NarrowInFlight} unconfirmed, prefetch {PipelineSettings.NarrowPrefetch} (the dispatcher's window)";

    private static string WideLabel(PipelineSettings settings) =>
        $"raw, {settings.RawInFlight} unconfirmed, prefetch {settings.RawPrefetch}";

    /// <summary>Writes the throughput, CPU and ledger tables.</summary>
    public static void Print(PipelineResults r, TextWriter output)
    {
        var processes = Columns(r.Settings);
        output.WriteLine();
        output.WriteLine(r.Settings.Ledger == LedgerProvider.Postgres
            ? "Ledger: PostgreSQL, a private cluster on this machine over loopback TCP (fsync, synchronous_commit and full_page_writes off), a fresh database per stage."
            : "Ledger: a SQLite file per stage.");
        if (r.Settings.Dispatchers > 1)
        {
            output.WriteLine(
                $"{r.Settings.Dispatchers} active dispatchers (Dispatcher:Shares {r.Settings.Dispatchers}), each owning one share: one model group of 3 simulated deployments; " +
                "the jobs take turns through the groups. 'dispatchers' is their sum.");
        }

        // The reference is the faster of the two raw runs: the broker's best effort on this machine.
        var raw = Math.Max(r.Raw.Rate, r.RawNarrow.Rate);
        var throughput = new MarkdownTable("stage", "jobs", "seconds", "published in s", "rate /s", "ratio to raw", "target", "met");
        throughput.Row(RawRow(WideLabel(r.Settings), r.Raw, raw));
        throughput.Row(RawRow(NarrowLabel, r.RawNarrow, raw));
        foreach (var stage in r.Routing)
        {
            throughput.Row(Row(stage, raw, PipelineSettings.RoutingTarget));
        }

        throughput.Row(Row(r.Pipeline, raw, PipelineSettings.PipelineTarget));
        output.WriteLine();
        output.WriteLine(
            $"Throughput ({Figures.Count(r.Settings.Jobs)} jobs per stage, {r.JobBytes}-byte messages, {ProductEnvironment.DeploymentsOf(r.Settings.Dispatchers).Count} simulated deployments with zero latency, " +
            $"MaxParallel {r.Settings.MaxParallel}; ratios are to the faster raw run, the reference):");
        output.WriteLine();
        output.Write(throughput);

        var cpu = new MarkdownTable(["stage", "wall s", .. processes.Select(p => p.Name + " % of a core"), "everything else % of a core", "machine busy"]);
        cpu.Row(CpuRow(processes, WideLabel(r.Settings), r.RawCpu));
        cpu.Row(CpuRow(processes, NarrowLabel, r.RawNarrowCpu));
        foreach (var stage in r.Routing.Append(r.Pipeline))
        {
            cpu.Row(CpuRow(processes, stage.Label, stage.Cpu));
        }

        var perJob = new MarkdownTable(["stage", .. processes.Select(p => p.Name + " ms"), "everything else ms", "all ms"]);
        perJob.Row(PerJobRow(processes, WideLabel(r.Settings) + " (per message)", r.RawCpu, r.Raw.Messages));
        perJob.Row(PerJobRow(processes, NarrowLabel + " (per message)", r.RawNarrowCpu, r.RawNarrow.Messages));
        foreach (var stage in r.Routing.Append(r.Pipeline))
        {
            perJob.Row(PerJobRow(processes, stage.Label, stage.Cpu, stage.Jobs));
        }

        output.WriteLine();
        output.WriteLine($"CPU during each measurement ({Environment.ProcessorCount} cores; 100 % = one core busy; 'bench' is the publisher and, for raw, the consumer too):");
        output.WriteLine();
        output.Write(cpu);
        output.WriteLine();
        output.WriteLine("CPU time per job, by process (milliseconds of CPU per job or raw message):");
        output.WriteLine();
        output.Write(perJob);

        if (r.Ledger.Count > 0)
        {
            var ledger = new MarkdownTable("ledger file on", "jobs", "intake µs per job", "outcome µs per job", "intake alone, jobs/s", "whole job, jobs/s", "CPU % of a core");
            foreach (var l in r.Ledger)
            {
                ledger.Row(l.Label, Figures.Count(l.Jobs), Figures.One(l.IntakeMicros), Figures.One(l.OutcomeMicros), Figures.Rate(l.IntakeJobsPerSecond), Figures.Rate(l.JobsPerSecond), Figures.Percent(l.CpuPercentOfOneCore));
            }

            output.WriteLine();
            output.WriteLine(
                $"Ledger alone (no broker): the dispatcher's JobLedger calls per job, {r.Ledger[0].Concurrency} concurrent callers; " +
                $"{LedgerProfile.WriteStatementsPerJob} writes through the one writer connection (group commit) and {LedgerProfile.ReadsPerJob} reads per job:");
            output.WriteLine();
            output.Write(ledger);
        }
    }

    private static string[] RawRow(string label, Broker.RawResult result, double reference) =>
    [
        label + (result.Rate >= reference ? " (reference)" : ""), Figures.Count(result.Messages), Figures.Seconds(result.Elapsed),
        Figures.Seconds(result.PublishTime), Figures.Rate(result.Rate), Figures.Ratio(result.Rate / reference), "", "",
    ];

    private static string[] Row(StageResult stage, double raw, double target)
    {
        var ratio = stage.Rate / raw;
        return
        [
            stage.Label, Figures.Count(stage.Jobs), Figures.Seconds(stage.Elapsed), Figures.Seconds(stage.PublishTime),
            Figures.Rate(stage.Rate), Figures.Ratio(ratio), ">= " + Figures.Ratio(target), ratio >= target ? "yes" : "no",
        ];
    }

    private static string[] PerJobRow(Column[] processes, string label, CpuUsage usage, int jobs)
    {
        string Ms(double percentOfOneCore) =>
            (percentOfOneCore / 100.0 * usage.Wall.TotalMilliseconds / jobs).ToString("0.000", System.Globalization.CultureInfo.InvariantCulture);
        return
        [
            label,
            .. processes.Select(p => p.PercentOfOneCore(usage) is { } v ? Ms(v) : "-"),
            Ms(usage.OtherPercentOfOneCore), Ms(usage.MachineBusyPercent * Environment.ProcessorCount),
        ];
    }

    private static string[] CpuRow(Column[] processes, string label, CpuUsage usage) =>
    [
        label, Figures.Seconds(usage.Wall),
        .. processes.Select(p => p.PercentOfOneCore(usage) is { } v ? Figures.Percent(v) : "-"),
        Figures.Percent(usage.OtherPercentOfOneCore), Figures.Percent(usage.MachineBusyPercent),
    ];

    // The measured processes by name; with several dispatchers each one, then their sum. On
    // PostgreSQL the server's processes do part of the ledger's work: they are measured too.
    private static Column[] Columns(PipelineSettings settings)
    {
        var dispatchers = settings.DispatcherNames;
        return
        [
            new("bench", ["bench"]),
            .. dispatchers.Select(d => new Column(d, [d])),
            .. dispatchers.Count > 1 ? [new Column("dispatchers", dispatchers)] : Array.Empty<Column>(),
            new("workers", ["workers"]),
            new("broker", ["broker"]),
            .. settings.Ledger == LedgerProvider.Postgres ? [new Column("postgres", ["postgres"])] : Array.Empty<Column>(),
        ];
    }

    /// <summary>A column of the CPU tables: one process, or the sum of several.</summary>
    private sealed record Column(string Name, IReadOnlyList<string> Processes)
    {
        /// <summary>The processes' CPU together, in percent of one core; null when none of them ran in the measurement.</summary>
        public double? PercentOfOneCore(CpuUsage usage)
        {
            var measured = Processes.Where(usage.PercentOfOneCore.ContainsKey).Select(p => usage.PercentOfOneCore[p]).ToList();
            return measured.Count == 0 ? null : measured.Sum();
        }
    }
}
