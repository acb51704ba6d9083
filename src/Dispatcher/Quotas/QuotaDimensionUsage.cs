namespace Dispatcher.Quotas;

/// <summary>One dimension of a deployment's quota at an instant, for status and the dashboard.</summary>
/// <param name="Available">What could go out now: the tighter of bucket and window.</param>
/// <param name="InWindow">What the last window admitted, attempts in flight included.</param>
/// <param name="Limit">Most per window.</param>
public sealed record QuotaDimensionUsage(double Available, double InWindow, int Limit);
