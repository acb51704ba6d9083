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

    /// <summary>The queue of attempt outcomes the dispatcher consumes.</summary>
    public const string Outcomes = "dispatcher-outcomes";

    /// <summary>The prefix of each deployment's work queue: <c>provider.{deploymentId}</c>.</summary>
    public const string ProviderPrefix = "provider.";

    /// <summary>The work queue of one deployment.</summary>
    public static string Provider(string deploymentId) => ProviderPrefix + deploymentId;
}
