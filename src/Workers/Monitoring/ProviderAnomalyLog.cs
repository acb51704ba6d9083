using System.Collections.Concurrent;
using Dispatcher.Workers.Providers;
using Microsoft.Extensions.Logging;

namespace Dispatcher.Workers.Monitoring;

/// <summary>
/// Reports the impossible numbers providers send (<see cref="ProviderAnomaly"/>): each one is
/// counted on <c>worker.provider_anomalies</c> by deployment and kind, and a warning naming them
/// is logged at most once a minute per deployment, so a provider that sends nonsense on every
/// answer is visible without flooding the log.
/// </summary>
public sealed class ProviderAnomalyLog(WorkerInstrumentation instrumentation, ILogger<ProviderAnomalyLog> logger, TimeProvider time)
{
    private static readonly TimeSpan WarnEvery = TimeSpan.FromMinutes(1);

    // When each deployment's last warning was logged, as a TimeProvider timestamp.
    private readonly ConcurrentDictionary<string, long> _lastWarned = new(StringComparer.Ordinal);

    /// <summary>Counts <paramref name="anomalies"/> of a call to <paramref name="deploymentId"/>, and logs them unless that deployment's were logged within the minute.</summary>
    public void Report(string deploymentId, IReadOnlyList<ProviderAnomaly>? anomalies)
    {
        ArgumentNullException.ThrowIfNull(deploymentId);
        if (anomalies is not { Count: > 0 })
        {
            return;
        }

        foreach (var anomaly in anomalies)
        {
            instrumentation.ProviderAnomaly(deploymentId, anomaly.Kind);
        }

        if (FirstWithinMinute(deploymentId))
        {
            logger.LogWarning(
                "Deployment {Deployment} answered with numbers that cannot be true, clamped or ignored: {Anomalies}. Further ones are counted in worker.provider_anomalies and logged at most once a minute.",
                deploymentId,
                string.Join("; ", anomalies.Select(a => a.Detail)));
        }
    }

    private bool FirstWithinMinute(string deploymentId)
    {
        var now = time.GetTimestamp();
        while (true)
        {
            if (!_lastWarned.TryGetValue(deploymentId, out var last))
            {
                if (_lastWarned.TryAdd(deploymentId, now))
                {
                    return true;
                }

                continue;
            }

            if (time.GetElapsedTime(last, now) < WarnEvery)
            {
                return false;
            }

            if (_lastWarned.TryUpdate(deploymentId, now, last))
            {
                return true;
            }
        }
    }
}
