namespace Dispatcher.Quotas;

/// <summary>
/// A deployment's quota at an instant, for status and the dashboard: what it could take now
/// (the tighter of bucket and window), what the last window admitted, its limits, and the
/// attempts it has in flight.
/// </summary>
public sealed record QuotaUsage(
    string DeploymentId,
    double RequestsAvailable,
    double RequestsInWindow,
    int RequestsLimit,
    double TokensAvailable,
    double TokensInWindow,
    int TokensLimit,
    int InFlight,
    double PausedForSeconds);
