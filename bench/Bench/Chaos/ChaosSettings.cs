namespace Dispatcher.Bench.Chaos;

/// <summary>The chaos run's knobs.</summary>
/// <param name="Jobs">Jobs in the batch.</param>
/// <param name="Duration">How long faults are injected (or until the batch is done).</param>
/// <param name="Seed">The first run's seed; run N uses <c>Seed + N - 1</c>.</param>
/// <param name="Runs">Runs in a row, each with its own seed.</param>
/// <param name="LatencyMs">The simulated providers' median latency per call.</param>
/// <param name="MaxParallel">MaxParallel of each of the 3 simulated deployments, per worker process.</param>
/// <param name="Timeout">The longest one batch may take.</param>
internal sealed record ChaosSettings(int Jobs, TimeSpan Duration, int Seed, int Runs, double LatencyMs, int MaxParallel, TimeSpan Timeout)
{
    /// <summary>The shortest pause between two faults.</summary>
    public static readonly TimeSpan MinPause = TimeSpan.FromSeconds(3);

    /// <summary>The longest pause between two faults.</summary>
    public static readonly TimeSpan MaxPause = TimeSpan.FromSeconds(10);

    /// <summary>Jobs in a republished chunk (as many as <c>submit</c> puts in one).</summary>
    public const int ChunkJobs = 100;

    /// <summary>Worker processes running at once.</summary>
    public const int Workers = 2;
}
