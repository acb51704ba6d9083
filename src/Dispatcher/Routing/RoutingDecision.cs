using Dispatcher.Catalog;

namespace Dispatcher.Routing;

/// <summary>Where a job goes and why, or why it can go nowhere.</summary>
/// <param name="Deployment">The chosen deployment; null when none can take the job.</param>
/// <param name="Strategy">The strategy that chose.</param>
/// <param name="Reason">A readable account of the decision, recorded for tracing.</param>
public sealed record RoutingDecision(DeploymentOptions? Deployment, string Strategy, string Reason);
