using Dispatcher.Contracts;

namespace Dispatcher.Monitoring;

/// <summary>One deployment's breaker as the dispatcher's gate holds it now.</summary>
/// <param name="Probes">Half-open probe slots taken by jobs routed and not yet settled (0 unless half-open).</param>
public sealed record DeploymentBreaker(string DeploymentId, BreakerState State, string? Reason, DateTimeOffset ChangedAt, int Probes = 0);

/// <summary>The dispatcher's breaker gate, read by status, metrics and the dashboard.</summary>
public interface IBreakerStates
{
    /// <summary>Every deployment's breaker now, in catalog order.</summary>
    IReadOnlyList<DeploymentBreaker> Current { get; }
}
