namespace Dispatcher.Monitoring;

/// <summary>A deployment's quota; null fields are unknown (status read from the ledger alone).</summary>
public sealed record QuotaUse(
    double RequestsAvailable,
    double RequestsInWindow,
    int RequestsLimit,
    double TokensAvailable,
    double TokensInWindow,
    int TokensLimit,
    int InFlight,
    double PausedForSeconds);
