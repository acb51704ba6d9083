namespace Dispatcher.Monitoring;

/// <summary>One point of the in-memory history, for charts.</summary>
public sealed record StatusPoint(
    DateTimeOffset At,
    IReadOnlyDictionary<string, long> QueueReady,
    IReadOnlyDictionary<string, long> QueueUnacked,
    IReadOnlyDictionary<string, int> InFlight,
    long Succeeded,
    long Failed,
    double ThroughputPerSecond,
    int WaitingForQuota);
