namespace Dispatcher.Fairness;

/// <summary>A job's place among those sharing its model group's capacity, from when it joins until it leaves.</summary>
public sealed class FairTicket
{
    internal FairTicket(string group, FairKey key, FairLevel tenants, FairFlow tenant, FairFlow batch, double joinedAt)
    {
        Group = group;
        Key = key;
        Tenants = tenants;
        Tenant = tenant;
        Batch = batch;
        JoinedAt = joinedAt;
    }

    /// <summary>The model group whose capacity the job waits for.</summary>
    public string Group { get; }

    /// <summary>The job's priority, tenant and batch.</summary>
    public FairKey Key { get; }

    internal FairLevel Tenants { get; }

    internal FairFlow Tenant { get; }

    internal FairFlow Batch { get; }

    internal double JoinedAt { get; }

    internal bool Left { get; set; }
}
