using System.Globalization;
using System.Text.RegularExpressions;
using Dispatcher.Bench.Jobs;
using Dispatcher.Bench.Processes;

namespace Dispatcher.Bench.Embedded;

/// <summary>
/// The embedded default end to end: the real <c>Submitter run FILE</c> program as a child process
/// (in-memory transport, a SQLite ledger file, simulated providers), per file size. Measures its
/// wall time and resident memory (the peak, and when a quarter, half and three quarters of the
/// jobs had finished) and how soon jobs finish: its progress lines, printed once a second when its
/// output is redirected, are read as they come.
/// </summary>
internal sealed partial class EmbeddedBenchmark(string submitter, TextWriter log)
{
    private static readonly TimeSpan MemoryPoll = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan Early = TimeSpan.FromSeconds(5);

    private readonly TimeProvider _clock = TimeProvider.System;

    /// <summary>Runs each size in turn, in a fresh ledger each time.</summary>
    public async Task<IReadOnlyList<EmbeddedResult>> RunAsync(
        IReadOnlyList<int> sizes, EmbeddedSettings settings, string workFolder, TimeSpan timeout, TimeSpan quietWait, CancellationToken ct)
    {
        var config = Path.Combine(workFolder, "embedded-catalog.json");
        EmbeddedCatalog.Write(config, settings.LatencyMs, settings.MaxParallel);
        var results = new List<EmbeddedResult>();
        foreach (var size in sizes)
        {
            results.Add(await RunOneAsync(size, config, settings, workFolder, timeout, quietWait, ct));
        }

        return results;
    }

    private async Task<EmbeddedResult> RunOneAsync(
        int size, string config, EmbeddedSettings settings, string workFolder, TimeSpan timeout, TimeSpan quietWait, CancellationToken ct)
    {
        var folder = Path.Combine(workFolder, $"embedded-{size}");
        Directory.CreateDirectory(folder);
        try
        {
            var file = Path.Combine(folder, "batch.jsonl");
            var bytes = await BatchFileWriter.WriteAsync(file, size, EmbeddedCatalog.Group, ct);
            log.WriteLine($"  {size:N0} lines ({bytes / 1024.0 / 1024.0:0.0} MiB): Submitter run");
            var ours = new Dictionary<string, int>(StringComparer.Ordinal) { ["bench"] = Environment.ProcessId };
            await QuietMachine.WaitAsync(ours, quietWait, log, ct);

            string[] args = ["run", file, "--config", config, "--ledger", Path.Combine(folder, "ledger.db"), "--out", Path.Combine(folder, "out")];
            if (settings.InFlight is { } inFlight)
            {
                args = [.. args, "--in-flight", inFlight.ToString(CultureInfo.InvariantCulture)];
            }

            var progress = new List<(TimeSpan At, long Finished, long Rss)>();
            var progressLock = new Lock();
            long rss = 0;
            long peak = 0;
            long childTicks = 0;
            var cpu = CpuMeter.Start(ours);
            var started = _clock.GetTimestamp();
            await using var run = ChildProgram.Start(
                "Submitter", submitter, new Dictionary<string, string>(StringComparer.Ordinal), args, Path.Combine(folder, "run.log"),
                line =>
                {
                    if (ProgressLine().Match(line) is { Success: true } m)
                    {
                        lock (progressLock)
                        {
                            progress.Add((_clock.GetElapsedTime(started), long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), Volatile.Read(ref rss)));
                        }
                    }
                });

            using var stopSampling = new CancellationTokenSource();
            var sampler = Task.Run(
                async () =>
                {
                    while (!stopSampling.IsCancellationRequested)
                    {
                        Volatile.Write(ref rss, ProcFs.StatusBytes(run.Id, "VmRSS") ?? Volatile.Read(ref rss));
                        peak = Math.Max(peak, ProcFs.StatusBytes(run.Id, "VmHWM") ?? 0);
                        childTicks = ProcFs.CpuTicks(run.Id) ?? childTicks;
                        try
                        {
                            await Task.Delay(MemoryPoll, _clock, stopSampling.Token);
                        }
                        catch (OperationCanceledException)
                        {
                            return;
                        }
                    }
                },
                CancellationToken.None);

            var exited = await run.WaitForExitAsync(timeout, ct);
            var wall = _clock.GetElapsedTime(started);
            var usage = cpu.Stop();
            await stopSampling.CancelAsync();
            await sampler;
            if (!exited)
            {
                throw new TimeoutException($"Submitter run of {size:N0} lines did not finish within {timeout}. Last output:{Environment.NewLine}{run.Tail()}");
            }

            if (run.ExitCode != 0)
            {
                throw new InvalidOperationException($"Submitter run exited with code {run.ExitCode}:{Environment.NewLine}{run.Tail()}");
            }

            var output = Directory.GetFiles(Path.Combine(folder, "out"), "*-output.jsonl").Single();
            var resultLines = File.ReadLines(output).Count();
            if (resultLines != size)
            {
                throw new InvalidOperationException($"Submitter run wrote {resultLines} result lines for {size} jobs");
            }

            var other = Math.Max(0, usage.OtherPercentOfOneCore - (100.0 * childTicks / ProcFs.TicksPerSecond / usage.Wall.TotalSeconds));
            List<(TimeSpan At, long Finished, long Rss)> seen;
            lock (progressLock)
            {
                seen = [.. progress];
            }

            var result = Summarise(size, bytes, wall, peak, seen, other);
            log.WriteLine($"      {result.JobsPerSecond:N0} jobs/s, peak RSS {peak / 1024.0 / 1024.0:0.0} MiB, {result.FinishedIn5Seconds:N0} finished in the first 5 s");
            return result;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static EmbeddedResult Summarise(int size, long bytes, TimeSpan wall, long peak, List<(TimeSpan At, long Finished, long Rss)> progress, double other)
    {
        (TimeSpan At, long Finished, long Rss)? First(double share) =>
            progress.FirstOrDefault(p => p.Finished >= share * size) is { At.Ticks: > 0 } p ? p : null;

        var quarters = new[] { 0.25, 0.5, 0.75 }.Select(q => First(q)?.Rss).ToList();
        var early = progress.LastOrDefault(p => p.At <= Early).Finished;
        var steady = First(0.25) is { } a && First(0.75) is { } b && b.At > a.At
            ? (b.Finished - a.Finished) / (b.At - a.At).TotalSeconds
            : 0;
        TimeSpan? toSteady = null;
        for (var i = 1; i < progress.Count && steady > 0; i++)
        {
            var seconds = (progress[i].At - progress[i - 1].At).TotalSeconds;
            if (seconds > 0 && (progress[i].Finished - progress[i - 1].Finished) / seconds >= 0.8 * steady)
            {
                toSteady = progress[i].At;
                break;
            }
        }

        return new EmbeddedResult(size, bytes, wall, peak, quarters, progress.Count > 0 ? progress[0].At : null, early, steady, toSteady, other);
    }

    // "[00:05] submitted 5800/10000  finished 895/10000 (…)": the line `run` prints once a second when its output is redirected.
    [GeneratedRegex(@"^\[\d+:\d\d\] submitted \d+/\d+  finished (\d+)/\d+")]
    private static partial Regex ProgressLine();
}

/// <summary>How the embedded runs are set up.</summary>
/// <param name="LatencyMs">The simulated calls' median latency.</param>
/// <param name="MaxParallel">MaxParallel of each of the two simulated deployments.</param>
/// <param name="InFlight">The run's <c>--in-flight</c>; null for the program's default.</param>
internal sealed record EmbeddedSettings(int LatencyMs, int MaxParallel, int? InFlight);
