namespace Dispatcher.Fairness;

/// <summary>
/// One flow in start-time fair queuing: a tenant within a priority level, or a batch within a
/// tenant. Its tag is the virtual time at which its share is used up: each job it is given adds
/// the job's tokens divided by its weight. The flow furthest below its share is the one with the
/// smallest tag among those with jobs waiting.
/// </summary>
internal sealed class FairFlow
{
    /// <summary>The flow's finish tag: virtual time up to which it has had its share.</summary>
    public double Tag { get; set; }

    /// <summary>Jobs of this flow at the gate now.</summary>
    public int Waiting { get; set; }

    /// <summary>When (on the monotonic clock, seconds) the flow last had no job waiting.</summary>
    public double IdleSince { get; set; }

    /// <summary>The batches of a tenant's flow; null for a batch's own flow.</summary>
    public FairLevel? Children { get; init; }
}
