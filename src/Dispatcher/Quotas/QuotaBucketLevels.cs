namespace Dispatcher.Quotas;

/// <summary>A deployment's bucket levels, as saved across a restart.</summary>
/// <param name="Requests">The request bucket's level (0 when the deployment keeps no request limit).</param>
/// <param name="Tokens">The combined token bucket's level (0 when it keeps none).</param>
/// <param name="InputTokens">The input token bucket's level; null when it keeps none.</param>
/// <param name="OutputTokens">The output token bucket's level; null when it keeps none.</param>
public readonly record struct QuotaBucketLevels(double Requests, double Tokens, double? InputTokens = null, double? OutputTokens = null);
