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

    /// <summary>
    /// How often, on the in-memory transport, the ledger is looked at for commands on a batch that
    /// another process recorded there (<c>cancel</c>, <c>pause</c>, <c>resume</c> from a second
    /// terminal while <c>run</c> runs): how late such a command applies.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00", ErrorMessage = "Lifecycle:RequestCheckInterval must be between 50 ms and one minute.")]
    public TimeSpan RequestCheckInterval { get; set; } = TimeSpan.FromMilliseconds(250);
}
