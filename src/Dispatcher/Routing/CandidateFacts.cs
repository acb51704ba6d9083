namespace Dispatcher.Routing;

/// <summary>
/// What a strategy weighs beyond the deployment itself and its load. The router works out only
/// these for each candidate; the rest are left at zero (or null).
/// </summary>
[Flags]
public enum CandidateFacts
{
    /// <summary>Nothing beyond the deployment and its attempts in flight.</summary>
    None = 0,

    /// <summary><see cref="RoutingCandidate.RequestHeadroom"/> and <see cref="RoutingCandidate.TokenHeadroom"/>.</summary>
    Headroom = 1,

    /// <summary><see cref="RoutingCandidate.LatencyMsPerToken"/>.</summary>
    Latency = 2,

    /// <summary><see cref="RoutingCandidate.EstimatedCost"/>.</summary>
    Cost = 4,
}
