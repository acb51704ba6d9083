using System.ComponentModel.DataAnnotations;

namespace Dispatcher.Catalog;

/// <summary>
/// A stretch of a simulated deployment's run with behaviour of its own: from
/// <see cref="AfterSeconds"/> after the deployment's first call (in each worker process) until the
/// next phase begins, the values set here replace the deployment's <see cref="SimulationOptions"/>;
/// those left unset keep the deployment's own. For rehearsing a deployment that degrades and
/// recovers mid-run: a phase with nothing set returns it to its own behaviour.
/// </summary>
public sealed class SimulationPhase
{
    /// <summary>Seconds after the deployment's first call at which the phase begins.</summary>
    [Required]
    [Range(0.0, 86_400)]
    public double? AfterSeconds { get; set; }

    /// <summary>Median latency of a call in milliseconds during the phase; unset keeps the deployment's.</summary>
    [Range(0, 600_000)]
    public double? LatencyMs { get; set; }

    /// <summary>Sigma of the log-normal latency during the phase; unset keeps the deployment's.</summary>
    [Range(0, 3)]
    public double? LatencySigma { get; set; }

    /// <summary>Extra milliseconds per completion token during the phase; unset keeps the deployment's.</summary>
    [Range(0, 10_000)]
    public double? MsPerOutputToken { get; set; }

    /// <summary>Share of calls (0..1) that answer 500 during the phase; unset keeps the deployment's.</summary>
    [Range(0, 1)]
    public double? ErrorRate { get; set; }

    /// <summary>Share of calls (0..1) that answer 429 during the phase; unset keeps the deployment's.</summary>
    [Range(0, 1)]
    public double? RateLimitRate { get; set; }
}
