using System.ComponentModel.DataAnnotations;

namespace Dispatcher.Catalog;

/// <summary>
/// When a worker stops calling one deployment for a while: its circuit breaker opens once enough of
/// the recent calls failed in a way that says the deployment itself is unwell (5xx, timeouts,
/// connection failures, unreadable answers). Rate limits and bad requests never count: they say
/// nothing about the deployment's health. The ranges are those Polly's breaker accepts.
/// </summary>
public sealed class CircuitBreakerOptions
{
    /// <summary>Share of failed calls (above 0, up to 1) within the sampling window that opens the circuit.</summary>
    [Range(0.0, 1.0, MinimumIsExclusive = true)]
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>The window, in seconds, over which the failure ratio is measured.</summary>
    [Range(0.5, 86_400)]
    public double SamplingDurationSeconds { get; set; } = 30;

    /// <summary>How many calls the window must hold before the ratio is trusted.</summary>
    [Range(2, int.MaxValue)]
    public int MinimumThroughput { get; set; } = 10;

    /// <summary>How long, in seconds, the circuit stays open before one trial call is let through.</summary>
    [Range(0.5, 86_400)]
    public double BreakDurationSeconds { get; set; } = 15;
}
