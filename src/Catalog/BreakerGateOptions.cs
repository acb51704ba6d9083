using System.ComponentModel.DataAnnotations;

namespace Dispatcher.Catalog;

/// <summary>
/// The dispatcher's breaker for each deployment of a model group, fed by attempt outcomes.
/// It opens when enough of the recent outcomes failed in a way that says the deployment is
/// unwell (5xx, timeouts, connection failures, unreadable answers, the worker's own breaker
/// open) or after a run of such failures, and at once on an authentication failure. While
/// open no job is routed there; after the break a bounded number of probe jobs go through,
/// and their outcomes close it or open it again.
/// </summary>
public sealed class BreakerGateOptions
{
    /// <summary>Share of unhealthy outcomes (above 0, up to 1) within the sampling window that opens the breaker.</summary>
    [Range(0.0, 1.0, MinimumIsExclusive = true)]
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>The window, in seconds, over which the failure ratio is measured.</summary>
    [Range(0.1, 86_400)]
    public double SamplingDurationSeconds { get; set; } = 30;

    /// <summary>How many outcomes the window must hold before the ratio is trusted.</summary>
    [Range(1, 1_000_000)]
    public int MinimumThroughput { get; set; } = 10;

    /// <summary>Unhealthy outcomes in a row that open the breaker whatever the ratio.</summary>
    [Range(1, 1_000_000)]
    public int ConsecutiveFailures { get; set; } = 5;

    /// <summary>How long, in seconds, the breaker stays open before probes are let through.</summary>
    [Range(0.1, 86_400)]
    public double BreakDurationSeconds { get; set; } = 15;

    /// <summary>How long, in seconds, a deployment that refused our credentials stays out of rotation.</summary>
    [Range(0.1, 86_400)]
    public double AuthenticationBreakSeconds { get; set; } = 300;

    /// <summary>How many probe jobs may be in flight while the breaker is half-open.</summary>
    [Range(1, 1000)]
    public int HalfOpenProbes { get; set; } = 2;
}
