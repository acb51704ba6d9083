namespace Dispatcher.Contracts;

/// <summary>Published when the dispatcher's breaker for a deployment changes state.</summary>
/// <param name="DeploymentId">The deployment.</param>
/// <param name="From">The state it left.</param>
/// <param name="To">The state it entered.</param>
/// <param name="Reason">Why, readably (for example the failure ratio that opened it).</param>
/// <param name="ChangedAt">When the dispatcher changed it.</param>
public sealed record DeploymentBreakerChanged(string DeploymentId, BreakerState From, BreakerState To, string Reason, DateTimeOffset ChangedAt);
