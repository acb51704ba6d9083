using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Dispatcher.Bench.Micro;

/// <summary>Runs the micro-benchmarks with BenchmarkDotNet's own runner and a short job.</summary>
internal static class MicroBenchmarks
{
    /// <summary>
    /// Runs <see cref="RouteBenchmarks"/>; BenchmarkDotNet prints its own summary and writes reports to
    /// BenchmarkDotNet.Artifacts/. In-process skips building a separate benchmark program (faster, a bit noisier).
    /// </summary>
    public static int Run(bool inProcess)
    {
        var job = Job.ShortRun;
        if (inProcess)
        {
            job = job.WithToolchain(InProcessEmitToolchain.Instance);
        }

        var config = DefaultConfig.Instance.AddJob(job.AsDefault());
        var summary = BenchmarkRunner.Run<RouteBenchmarks>(config);
        return summary.HasCriticalValidationErrors || summary.Reports.Any(r => !r.Success) ? 1 : 0;
    }
}
