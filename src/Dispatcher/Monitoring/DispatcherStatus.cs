using Dispatcher.Ledger;

namespace Dispatcher.Monitoring;

/// <summary>
/// The dispatcher's state at an instant, as <c>GET /api/status</c> serves it: queues, each
/// deployment's quota use and breaker, spend against every cap, batch progress, the jobs of no
/// batch and the jobs waiting for quota. It carries no secret: no API key, no broker password,
/// no connection string.
/// </summary>
/// <param name="LooseJobs">
/// The jobs submitted without a batch, by state; they are in no batch's counts. Null in a
/// snapshot from a dispatcher that does not report them.
/// </param>
/// <param name="Tenants">
/// Each tenant's share of the capacity over the last minute, its jobs waiting and how long they
/// waited (<see cref="Fairness.FairShares"/>); null when no dispatcher routes (read from the ledger).
/// </param>
/// <param name="OwnedShares">
/// The shares of the model groups this dispatcher routes now (<c>Dispatcher:Shares</c>; share 0 is
/// every group when there is one share), empty while it stands by; null when no dispatcher routes
/// (read from the ledger).
/// </param>
public sealed record DispatcherStatus(
    DateTimeOffset At,
    string Transport,
    QueueStatus Queues,
    IReadOnlyList<DeploymentStatus> Deployments,
    IReadOnlyList<BudgetStatus> Budgets,
    BatchTotals Batches,
    int WaitingForQuota,
    LooseJobs? LooseJobs,
    IReadOnlyList<Fairness.TenantShare>? Tenants = null,
    IReadOnlyList<int>? OwnedShares = null);
