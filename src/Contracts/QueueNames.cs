namespace Dispatcher.Contracts;

/// <summary>
/// The broker names producers and consumers outside .NET need. Everything else is internal.
/// </summary>
public static class QueueNames
{
    /// <summary>The queue (and the exchange bound to it) where jobs are submitted.</summary>
    public const string Intake = "completion-intake";

    /// <summary>The fanout exchange every successful result is published to.</summary>
    public const string SucceededExchange = "completion-succeeded";

    /// <summary>The fanout exchange every failed result is published to.</summary>
    public const string FailedExchange = "completion-failed";

    /// <summary>The queue (and the exchange bound to it) batch announcements (<see cref="SubmitBatch"/>) are sent to.</summary>
    public const string Batches = "dispatcher-batches";

    /// <summary>
    /// The queue (and the exchange bound to it) of commands on a batch as a whole:
    /// <see cref="CancelBatch"/>, <see cref="PauseBatch"/>, <see cref="ResumeBatch"/>. The dispatcher
    /// declares it when it starts and handles its commands one at a time, in order.
    /// </summary>
    public const string BatchControl = "dispatcher-batch-control";

    /// <summary>The queue of attempt outcomes the dispatcher consumes.</summary>
    public const string Outcomes = "dispatcher-outcomes";

    /// <summary>
    /// The queue of terminally failed jobs: each message is the job's <see cref="CompletionFailed"/>
    /// (reason and attempt history). The CLI lists and replays them.
    /// </summary>
    public const string DeadLetters = "completion-dead-letters";

    /// <summary>Where replay requests (<see cref="ReplayCompletion"/>) are sent.</summary>
    public const string Replays = "dispatcher-replays";

    /// <summary>The queue jobs come back to routing from after their retry delay.</summary>
    public const string Retries = "dispatcher-retries";

    /// <summary>The queue of jobs to re-route to another deployment, along the fallback chain.</summary>
    public const string Fallbacks = "dispatcher-fallbacks";

    /// <summary>
    /// The prefix of the dispatch lanes (<c>dispatcher-lane-0</c>, ...): priority queues where jobs
    /// that would wait for capacity wait instead, each tenant's batch in a lane of its own while
    /// there are lanes enough, so the dispatcher can take the next job from whichever tenant and
    /// batch is furthest below its fair share without pulling the backlog into memory.
    /// </summary>
    public const string LanePrefix = "dispatcher-lane-";

    /// <summary>The dispatch lane numbered <paramref name="lane"/>.</summary>
    public static string Lane(int lane) => LanePrefix + lane.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The prefix of the retry delay queues (<c>dispatcher-delay-2s</c>, ...): each holds jobs for
    /// its delay (<c>x-message-ttl</c>), then dead-letters them to <see cref="Retries"/>.
    /// </summary>
    public const string DelayPrefix = "dispatcher-delay-";

    /// <summary>The prefix of each deployment's work queue: <c>provider.{deploymentId}</c>.</summary>
    public const string ProviderPrefix = "provider.";

    /// <summary>The work queue of one deployment.</summary>
    public static string Provider(string deploymentId) => ProviderPrefix + deploymentId;
}
