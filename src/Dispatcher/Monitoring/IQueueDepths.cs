namespace Dispatcher.Monitoring;

/// <summary>One queue's depth at an instant; rates are messages per second, when the transport knows them.</summary>
public sealed record QueueDepthSample(string Queue, long Ready, long Unacked, int Consumers, double? PublishRate, double? DeliverRate);

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
