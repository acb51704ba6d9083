namespace Dispatcher.Ledger;

/// <summary>The share an attempt is claimed for and the epoch its claimant took the share over with.</summary>
/// <param name="Share">The share of the job's model group.</param>
/// <param name="Epoch">The share's epoch when the claimant took it over.</param>
public sealed record ShareFence(int Share, long Epoch);
