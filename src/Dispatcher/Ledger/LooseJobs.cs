namespace Dispatcher.Ledger;

/// <summary>
/// The jobs submitted without a batch, counted by state. They belong to no batch, so they never
/// make one that waits for its size to be announced; status counts them apart.
/// </summary>
/// <param name="Queued">Recorded but not yet sent to a deployment.</param>
/// <param name="Dispatched">Waiting on a deployment.</param>
/// <param name="Succeeded">Ended with a completion.</param>
/// <param name="Failed">Ended without one.</param>
public sealed record LooseJobs(long Queued, long Dispatched, long Succeeded, long Failed);
