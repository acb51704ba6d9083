using Dispatcher.Catalog;
using Microsoft.Extensions.Options;

namespace Dispatcher.Quotas;

/// <summary>
/// Spend against every cap in the catalog (per deployment, per model group, per tenant), for
/// the current period. A job's estimated cost is reserved when it is routed and settled to its
/// real cost when its outcome arrives, so a cap is never crossed by jobs already under way:
/// it is checked before the call, not detected after it.
/// </summary>
public sealed class SpendBook
{
    private readonly Dictionary<string, Cap> _caps = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();

    /// <summary>Creates an empty account for every cap in the catalog.</summary>
    public SpendBook(IOptions<CatalogOptions> catalog, TimeProvider time)
    {
        _time = time;
        var options = catalog.Value;
        foreach (var d in options.Deployments.Where(d => d.Budget is not null))
        {
            _caps[DeploymentKey(d.Id)] = new Cap(d.Budget!);
        }

        foreach (var g in options.ModelGroups.Where(g => g.Budget is not null))
        {
            _caps[GroupKey(g.Name)] = new Cap(g.Budget!);
        }

        foreach (var t in options.Tenants.Where(t => t.Budget is not null))
        {
            _caps[TenantKey(t.Name)] = new Cap(t.Budget!);
        }
    }

    /// <summary>Whether any cap is configured at all (routing skips the check when none is).</summary>
    public bool HasCaps => _caps.Count > 0;

    /// <summary>The caps and their periods, for restoring spend from the ledger.</summary>
    public IEnumerable<(string Key, BudgetOptions Budget)> Caps => _caps.Select(c => (c.Key, c.Value.Budget));

    /// <summary>Names the cap that a job of <paramref name="cost"/> on <paramref name="deployment"/> would cross, or null when it fits them all.</summary>
    public string? WouldCross(DeploymentOptions deployment, string? tenant, decimal cost)
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            foreach (var key in KeysFor(deployment, tenant))
            {
                if (_caps.TryGetValue(key, out var cap) && cap.Current(now).Committed + cost > cap.Budget.Limit)
                {
                    return key;
                }
            }

            return null;
        }
    }

    /// <summary>Reserves a job's estimated cost against every cap that applies.</summary>
    public void Reserve(DeploymentOptions deployment, string? tenant, decimal estimate)
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            foreach (var key in KeysFor(deployment, tenant))
            {
                if (_caps.TryGetValue(key, out var cap))
                {
                    cap.Current(now).Reserved += estimate;
                }
            }
        }
    }

    /// <summary>Replaces a reservation with what the call really cost (0 for a failed call).</summary>
    public void Settle(DeploymentOptions deployment, string? tenant, decimal estimate, decimal actual)
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            foreach (var key in KeysFor(deployment, tenant))
            {
                if (_caps.TryGetValue(key, out var cap))
                {
                    var account = cap.Current(now);
                    account.Reserved = Math.Max(0, account.Reserved - estimate);
                    account.Spent += actual;
                }
            }
        }
    }

    /// <summary>Sets a cap's account from the ledger (spent this period, and reserved by jobs under way).</summary>
    public void Restore(string key, decimal spent, decimal reserved)
    {
        lock (_lock)
        {
            if (_caps.TryGetValue(key, out var cap))
            {
                var account = cap.Current(_time.GetUtcNow());
                account.Spent = spent;
                account.Reserved = reserved;
            }
        }
    }

    /// <summary>Spent and reserved for a cap in the current period.</summary>
    public (decimal Spent, decimal Reserved) Account(string key)
    {
        lock (_lock)
        {
            var account = _caps[key].Current(_time.GetUtcNow());
            return (account.Spent, account.Reserved);
        }
    }

    /// <summary>The key of a deployment's cap.</summary>
    public static string DeploymentKey(string id) => "deployment:" + id;

    /// <summary>The key of a model group's cap.</summary>
    public static string GroupKey(string name) => "group:" + name;

    /// <summary>The key of a tenant's cap.</summary>
    public static string TenantKey(string name) => "tenant:" + name;

    /// <summary>The caps a job of <paramref name="tenant"/> on <paramref name="deployment"/> counts against: the deployment's, its model group's and the tenant's.</summary>
    internal static IEnumerable<string> KeysFor(DeploymentOptions deployment, string? tenant)
    {
        yield return DeploymentKey(deployment.Id);
        yield return GroupKey(deployment.ModelGroup);
        if (tenant is not null)
        {
            yield return TenantKey(tenant);
        }
    }

    private sealed class Cap(BudgetOptions budget)
    {
        private SpendAccount _account = new(DateTimeOffset.MinValue);

        public BudgetOptions Budget { get; } = budget;

        // A new period starts with nothing spent; reservations made in the old one settle against it harmlessly.
        public SpendAccount Current(DateTimeOffset now)
        {
            var start = Budget.PeriodStart(now);
            if (_account.PeriodStart != start)
            {
                _account = new SpendAccount(start);
            }

            return _account;
        }
    }

    private sealed class SpendAccount(DateTimeOffset periodStart)
    {
        public DateTimeOffset PeriodStart { get; } = periodStart;

        public decimal Spent { get; set; }

        public decimal Reserved { get; set; }

        public decimal Committed => Spent + Reserved;
    }
}
