using Dispatcher.Quotas;

namespace Dispatcher.Monitoring;

/// <summary>
/// One deployment: its quota now (available and admitted in the current window, against the
/// limits), attempts in flight, breaker, and how many jobs it ended.
/// </summary>
/// <param name="Pause">The provider's pause of the deployment (a Retry-After); null when it is not paused.</param>
/// <param name="RoutingWeight">Its current adaptive weight when its model group routes <c>weighted-adaptive</c>; null otherwise.</param>
/// <param name="Closed">
/// When it is outside all its availability windows, until when and which window opens then
/// (<c>closed until 22:00 Europe/Berlin, window 0</c>); null when it is open or has no windows.
/// </param>
public sealed record DeploymentStatus(
    string Id,
    string ModelGroup,
    string Provider,
    QuotaUsage? Quota,
    BreakerStatus Breaker,
    long Succeeded,
    long Failed,
    PauseStatus? Pause = null,
    double? RoutingWeight = null,
    string? Closed = null);
