namespace Dispatcher.Fairness;

/// <summary>
/// One tenant's share of capacity over the last minute, as status, metrics and the dashboard show it.
/// </summary>
/// <param name="Tenant">The tenant's name; empty for jobs of no tenant.</param>
/// <param name="Weight">The tenant's weight in the catalog (1 unless configured).</param>
/// <param name="Waiting">The tenant's jobs waiting for capacity in the dispatcher now.</param>
/// <param name="Jobs">Attempts of the tenant's jobs sent in the last minute.</param>
/// <param name="Tokens">Tokens reserved for them.</param>
/// <param name="Share">Their share of all tokens reserved in the last minute (0..1).</param>
/// <param name="MeanWaitSeconds">How long they waited for capacity on average.</param>
public sealed record TenantShare(string Tenant, double Weight, int Waiting, long Jobs, long Tokens, double Share, double MeanWaitSeconds);
