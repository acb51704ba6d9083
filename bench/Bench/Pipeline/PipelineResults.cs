using Dispatcher.Bench.Broker;
using Dispatcher.Bench.Processes;

namespace Dispatcher.Bench.Pipeline;

/// <summary>One measured stage of the product (routing alone, or the whole pipeline).</summary>
/// <param name="Label">What ran.</param>
/// <param name="Jobs">Jobs measured.</param>
/// <param name="Elapsed">First job published to the stage's end condition.</param>
/// <param name="PublishTime">First to last job published and confirmed.</param>
/// <param name="Cpu">CPU used by each process during the measurement.</param>
internal sealed record StageResult(string Label, int Jobs, TimeSpan Elapsed, TimeSpan PublishTime, CpuUsage Cpu)
{
    /// <summary>Jobs per second over <see cref="Elapsed"/>.</summary>
    public double Rate => Jobs / Elapsed.TotalSeconds;
}

/// <summary>Everything one pipeline run measured.</summary>
internal sealed record PipelineResults(
    PipelineSettings Settings,
    int JobBytes,
    RawResult Raw,
    CpuUsage RawCpu,
    RawResult RawNarrow,
    CpuUsage RawNarrowCpu,
    IReadOnlyList<StageResult> Routing,
    StageResult Pipeline,
    IReadOnlyList<LedgerProfileResult> Ledger);
