namespace Dispatcher.Standby;

/// <summary>
/// How dispatcher replicas share the broker, bound from the <c>Dispatcher</c> section.
/// </summary>
public sealed class StandbyOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Dispatcher";

    /// <summary>
    /// Declares the dispatcher's queues (intake, outcomes, batch announcements) with RabbitMQ's
    /// <c>x-single-active-consumer</c>, so of several dispatcher processes only one consumes and
    /// the others wait as standbys: quotas and budgets are enforced by one process, never
    /// multiplied by replicas. On by default; ignored on the in-memory transport. The broker
    /// refuses to redeclare an existing queue with other arguments, so switching this on a
    /// broker that already has the queues means deleting them first (when they are empty).
    /// </summary>
    public bool SingleActiveConsumer { get; set; } = true;
}
