namespace Dispatcher.Monitoring;

/// <summary>
/// The latest status and a bounded ring of past points (history length at the refresh
/// interval), kept in memory for the dashboard's charts.
/// </summary>
public sealed class StatusHistory(int capacity)
{
    private readonly Lock _lock = new();
    private readonly Queue<StatusPoint> _points = new();
    private DispatcherStatus? _latest;

    /// <summary>The last snapshot taken; null before the first.</summary>
    public DispatcherStatus? Latest
    {
        get
        {
            lock (_lock)
            {
                return _latest;
            }
        }
    }

    /// <summary>The points held, oldest first.</summary>
    public IReadOnlyList<StatusPoint> Points()
    {
        lock (_lock)
        {
            return _points.ToList();
        }
    }

    /// <summary>Records a snapshot as the latest and as a history point, dropping the oldest beyond capacity.</summary>
    public void Add(DispatcherStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var point = new StatusPoint(
            status.At,
            status.Queues.Items.ToDictionary(q => q.Queue, q => q.Ready, StringComparer.Ordinal),
            status.Queues.Items.ToDictionary(q => q.Queue, q => q.Unacked, StringComparer.Ordinal),
            status.Deployments.ToDictionary(d => d.Id, d => d.Quota?.InFlight ?? 0, StringComparer.Ordinal),
            status.Batches.Recent.Sum(b => b.Succeeded),
            status.Batches.Recent.Sum(b => b.Failed),
            status.Batches.ThroughputPerSecond,
            status.WaitingForQuota);
        lock (_lock)
        {
            _latest = status;
            _points.Enqueue(point);
            while (_points.Count > capacity)
            {
                _points.Dequeue();
            }
        }
    }
}
