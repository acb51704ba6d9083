using System.ComponentModel.DataAnnotations;

namespace Dispatcher.Reconciling;

/// <summary>
/// How the dispatcher finds jobs nothing is working on any more, bound from the
/// <c>Reconciler</c> section. An attempt is leased to its deployment's queue: a worker starts it
/// only within <see cref="QueueAllowance"/> of its dispatch, and its outcome is due within the
/// deployment's <c>TimeoutSeconds</c> after that (plus <see cref="ReportGrace"/> for the report
/// to travel back). An attempt still without an outcome then is re-driven.
/// </summary>
public sealed class ReconcilerOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Reconciler";

    /// <summary>How often the ledger is searched for jobs nothing works on.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00", ErrorMessage = "Reconciler:Interval must be between 100 ms and one hour.")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long an attempt may wait in its deployment's queue (workers down, a backlog behind
    /// MaxParallel) before a worker must no longer start it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00", ErrorMessage = "Reconciler:QueueAllowance must be between 100 ms and one day.")]
    public TimeSpan QueueAllowance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Time allowed for an outcome to travel back and be recorded once its call is over.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "Reconciler:ReportGrace must be between 0 and one hour.")]
    public TimeSpan ReportGrace { get; set; } = TimeSpan.FromSeconds(30);
}
