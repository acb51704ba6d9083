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

    /// <summary>
    /// How many shares the model groups are split into, each routed by one active dispatcher at a
    /// time (<see cref="Catalog.ShareAssignment"/>); the same in every dispatcher process. 1 (the
    /// default): one dispatcher routes every group. Above 1, each share has queues of its own
    /// (lanes, outcomes, retries, fallbacks), single-active, and needs RabbitMQ and the ledger on
    /// PostgreSQL, which fences a share's claims by the epoch of its owner.
    /// </summary>
    public int Shares { get; set; } = 1;

    /// <summary>
    /// The shares whose queues this process subscribes to as soon as it starts; it joins the others'
    /// after <see cref="StandbyJoinDelay"/>, as their standby. Empty (the default): all of them.
    /// </summary>
    public List<int> PreferredShares { get; set; } = [];

    /// <summary>
    /// How long after start a process subscribes to the queues of the shares it does not prefer,
    /// so processes started together split the shares before each joins the others' as standby.
    /// </summary>
    public TimeSpan StandbyJoinDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often a process looks at who routes its preferred shares and at who asks for the shares
    /// it routes without preferring them (<see cref="ShareBalancer"/>): a process that starts after
    /// another took its preferred shares over gets them back within about twice this.
    /// </summary>
    public TimeSpan BalanceInterval { get; set; } = TimeSpan.FromSeconds(5);
}
