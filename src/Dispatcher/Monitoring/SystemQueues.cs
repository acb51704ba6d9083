using Dispatcher.Catalog;
using Dispatcher.Contracts;

namespace Dispatcher.Monitoring;

/// <summary>
/// The queues the system declares for a catalog, and their error and dead-letter companions:
/// what a passive declare asks the broker about when its management API cannot answer.
/// </summary>
public static class SystemQueues
{
    /// <summary>Suffixes MassTransit gives a queue's fault and dead-letter queues.</summary>
    public static readonly IReadOnlyList<string> CompanionSuffixes = ["_error", "_skipped"];

    /// <summary>Intake, batch announcements, outcomes, the dispatch lanes and each deployment's work queue, with their companions.</summary>
    public static IReadOnlyList<string> For(CatalogOptions catalog, int lanes)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var main = new List<string> { QueueNames.Intake, QueueNames.Batches, QueueNames.Outcomes };
        main.AddRange(Enumerable.Range(0, lanes).Select(QueueNames.Lane));
        main.AddRange(catalog.Deployments.Select(d => QueueNames.Provider(d.Id)));
        return main.SelectMany(q => CompanionSuffixes.Select(s => q + s).Prepend(q)).ToList();
    }
}
