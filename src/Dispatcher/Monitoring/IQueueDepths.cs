using Dispatcher.ServiceDefaults.Management;

namespace Dispatcher.Monitoring;

/// <summary>
/// The depths of the system's queues, refreshed in the background so metrics, status and the
/// dashboard read them without waiting on the broker.
/// </summary>
public interface IQueueDepths
{
    /// <summary>The latest reading, every queue of the system; empty before the first.</summary>
    IReadOnlyList<QueueDepthSample> Latest { get; }

    /// <summary>When <see cref="Latest"/> was read; null before the first reading.</summary>
    DateTimeOffset? ReadAt { get; }
}
