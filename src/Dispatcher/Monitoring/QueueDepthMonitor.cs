using Dispatcher.ServiceDefaults.Management;

namespace Dispatcher.Monitoring;

/// <summary>
/// The latest queue depths, read by <see cref="MonitoringLoop"/> in the background so status,
/// metrics and the dashboard never wait on the broker.
/// </summary>
public sealed class QueueDepthMonitor(IQueueDepthReader reader, TimeProvider time) : IQueueDepths
{
    private Reading _reading = new([], null, reader.Source);

    /// <inheritdoc />
    public IReadOnlyList<QueueDepthSample> Latest => Volatile.Read(ref _reading).Samples;

    /// <inheritdoc />
    public DateTimeOffset? ReadAt => Volatile.Read(ref _reading).At;

    /// <summary>Where the latest reading came from.</summary>
    public string Source => Volatile.Read(ref _reading).Source;

    /// <summary>Reads every queue once and publishes the reading.</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        var samples = await reader.ReadAsync(ct);
        Volatile.Write(ref _reading, new Reading(samples, time.GetUtcNow(), reader.Source));
    }

    private sealed record Reading(IReadOnlyList<QueueDepthSample> Samples, DateTimeOffset? At, string Source);
}
