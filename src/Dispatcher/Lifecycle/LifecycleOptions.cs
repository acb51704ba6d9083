using System.ComponentModel.DataAnnotations;

namespace Dispatcher.Lifecycle;

/// <summary>How the dispatcher watches batches' completion windows, bound from the <c>Lifecycle</c> section.</summary>
public sealed class LifecycleOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Lifecycle";

    /// <summary>
    /// How often the ledger is searched for batches whose completion window has passed. A job's
    /// new attempt never starts after its batch's window whatever this is; it bounds how long the
    /// jobs that nothing is working on (paused, waiting for a retry) wait to be ended.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00", ErrorMessage = "Lifecycle:ExpiryCheckInterval must be between 100 ms and ten minutes.")]
    public TimeSpan ExpiryCheckInterval { get; set; } = TimeSpan.FromSeconds(1);
}
