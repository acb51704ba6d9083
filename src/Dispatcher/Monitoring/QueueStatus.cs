using Dispatcher.ServiceDefaults.Management;

namespace Dispatcher.Monitoring;

/// <summary>Every queue's depth, when it was read and from where (<c>management-api</c>, <c>passive-declare</c>, <c>in-memory</c>, <c>unavailable</c>).</summary>
public sealed record QueueStatus(DateTimeOffset? ReadAt, string Source, IReadOnlyList<QueueDepthSample> Items);
