using Dispatcher.Catalog;

namespace Dispatcher.Routing;

/// <summary>
/// A deployment that passed every filter, with what the strategies weigh: its remaining quota
/// relative to its limits, its load, its recent speed and what the job would cost there. Only
/// the facts the strategy <see cref="IRoutingStrategy.Weighs"/> are worked out; the others are 0 (or null).
/// </summary>
/// <param name="Deployment">The deployment.</param>
/// <param name="RequestHeadroom">Remaining requests in its bucket as a share of its RPM (0..1).</param>
/// <param name="TokenHeadroom">Remaining tokens in its bucket as a share of its TPM (0..1).</param>
/// <param name="InFlight">Attempts sent to it that have not reported back.</param>
/// <param name="LatencyMsPerToken">Recent latency per output token, or null before any sample.</param>
/// <param name="EstimatedCost">
/// The job's estimated cost there (prompt estimate and max_tokens at its prices) in binary
/// floating point, to rank deployments; spend caps are checked and reserved in exact decimals.
/// </param>
public readonly record struct RoutingCandidate(
    DeploymentOptions Deployment,
    double RequestHeadroom,
    double TokenHeadroom,
    int InFlight,
    double? LatencyMsPerToken,
    double EstimatedCost);
