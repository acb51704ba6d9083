using System.Collections.Concurrent;

namespace Dispatcher.Routing;

/// <summary>Recent latency per output token per deployment.</summary>
public sealed class LatencyTracker(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, double> _last = new(StringComparer.Ordinal);

    public void RecordSuccess(string deploymentId, double latencyMs, int outputTokens) =>
        _last[deploymentId] = latencyMs / Math.Max(1, outputTokens) + (time is null ? 0 : 0);

    public void RecordTimeout(string deploymentId, double timeoutMs) => _last[deploymentId] = timeoutMs;

    public double? MsPerToken(string deploymentId) => _last.TryGetValue(deploymentId, out var v) ? v : null;
}
