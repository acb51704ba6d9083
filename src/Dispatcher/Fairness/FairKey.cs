namespace Dispatcher.Fairness;

/// <summary>
/// Where a job stands when capacity is shared: its priority level (strict between levels), its
/// tenant (weighted shares within a level) and its batch (equal shares within the tenant).
/// A job of no tenant or no batch shares with the others of no tenant or no batch.
/// </summary>
public readonly record struct FairKey(int Priority, string Tenant, string Batch)
{
    /// <summary>The key of a job with these fields (null tenant or batch: the empty name).</summary>
    public static FairKey Of(int priority, string? tenant, string? batchId) => new(priority, tenant ?? "", batchId ?? "");
}
