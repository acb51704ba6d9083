namespace Dispatcher.Bench.Reliability;

/// <summary>The reliability run's knobs.</summary>
/// <param name="Jobs">Jobs in the batch.</param>
/// <param name="LatencyMs">The simulated providers' median latency per call.</param>
/// <param name="MaxParallel">MaxParallel of each of the 3 simulated deployments.</param>
/// <param name="Baseline">Whether to run the same batch without faults first, for its completion time.</param>
/// <param name="Timeout">The longest the batch may take.</param>
internal sealed record ReliabilitySettings(int Jobs, double LatencyMs, int MaxParallel, bool Baseline, TimeSpan Timeout)
{
    /// <summary>Share of the batch ended when the Workers process is killed.</summary>
    public const double KillWorkersAt = 0.2;

    /// <summary>Share of the batch ended when the Dispatcher process is killed.</summary>
    public const double KillDispatcherAt = 0.45;

    /// <summary>Share of the batch ended when the broker is restarted.</summary>
    public const double RestartBrokerAt = 0.7;
}
