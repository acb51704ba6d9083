namespace Dispatcher.Quotas;

/// <summary>
/// A deployment's quota at an instant, for status and the dashboard: what it could take now
/// (the tighter of bucket and window), what the last window admitted, its limits, and the
/// attempts it has in flight. A limit the deployment's limit model does not keep is null, and
/// what is available and admitted of it 0.
/// </summary>
/// <param name="InputTokens">The input token limit (Anthropic model); null when it keeps none.</param>
/// <param name="OutputTokens">The output token limit (Anthropic model); null when it keeps none.</param>
/// <param name="MaxConcurrent">The most attempts in flight at once; null for no such bound.</param>
public sealed record QuotaUsage(
    string DeploymentId,
    double RequestsAvailable,
    double RequestsInWindow,
    int? RequestsLimit,
    double TokensAvailable,
    double TokensInWindow,
    int? TokensLimit,
    int InFlight,
    double PausedForSeconds,
    QuotaDimensionUsage? InputTokens = null,
    QuotaDimensionUsage? OutputTokens = null,
    int? MaxConcurrent = null);
