using Dispatcher.Bench.Processes;

namespace Dispatcher.Bench.Latency;

/// <summary>Jobs offered at one fixed rate and what each took.</summary>
/// <param name="Label">What ran.</param>
/// <param name="Rate">The rate jobs were offered at, in jobs/s.</param>
/// <param name="TargetMs">The p99 target, in milliseconds.</param>
/// <param name="Jobs">Per job, its times.</param>
/// <param name="Cpu">CPU each process used while the jobs were offered and until the last result came.</param>
internal sealed record LatencyRun(string Label, double Rate, double TargetMs, IReadOnlyList<JobTimes> Jobs, CpuUsage Cpu);

/// <summary>Everything one latency run measured.</summary>
/// <param name="Settings">How it ran.</param>
/// <param name="Capacity">The capacity the loaded rate is a share of, in jobs/s.</param>
/// <param name="CapacityMeasured">Whether the capacity was measured in this run (or given).</param>
/// <param name="Runs">The loaded and the idle run.</param>
internal sealed record LatencyResults(LatencySettings Settings, double Capacity, bool CapacityMeasured, IReadOnlyList<LatencyRun> Runs);
