namespace Dispatcher.Monitoring;

/// <summary>One batch's progress.</summary>
public sealed record BatchProgress(
    string Id,
    string? Source,
    long? Total,
    long NotYetReceived,
    long Queued,
    long Dispatched,
    long Succeeded,
    long Failed,
    double Cost,
    bool Complete,
    string CreatedAt);
