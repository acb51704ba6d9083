using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Dispatcher.Bench.Micro;

/// <summary>Runs the micro-benchmarks with BenchmarkDotNet's own runner and a short job.</summary>
internal static class MicroBenchmarks
{
    /// <summary>
    /// Runs <see cref="RouteBenchmarks"/> and <see cref="RouteStepBenchmarks"/>; BenchmarkDotNet prints its own summaries and writes reports to
    /// BenchmarkDotNet.Artifacts/. In-process skips building a separate benchmark program (faster, a bit noisier).
    /// </summary>
    public static int Run(bool inProcess)
    {
        // ShortRun's launch and warm-up with more measured iterations: three leave error bars
        // wider than the differences between strategies on a shared two-core machine.
        var job = Job.ShortRun.WithIterationCount(10);
        if (inProcess)
        {
            job = job.WithToolchain(InProcessEmitToolchain.Instance);
        }

        var config = DefaultConfig.Instance.AddJob(job.AsDefault());
        var summaries = BenchmarkRunner.Run([typeof(RouteBenchmarks), typeof(RouteStepBenchmarks)], config);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
