using Dispatcher.ServiceDefaults.Management;

namespace Dispatcher.Monitoring;

/// <summary>Reads every queue's depth from one transport.</summary>
public interface IQueueDepthReader
{
    /// <summary>Where the last reading came from (<c>management-api</c>, <c>passive-declare</c>, <c>in-memory</c>).</summary>
    string Source { get; }

    /// <summary>Every queue of the system now, sorted by name.</summary>
    Task<IReadOnlyList<QueueDepthSample>> ReadAsync(CancellationToken ct);
}
