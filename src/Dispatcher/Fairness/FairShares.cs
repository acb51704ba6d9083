using Dispatcher.Catalog;
using Microsoft.Extensions.Options;

namespace Dispatcher.Fairness;

/// <summary>
/// Weighted fair shares of a model group's capacity among the jobs waiting for it: strict
/// between priority levels (the gate's rule), and within a level start-time fair queuing between
/// tenants (weights from the catalog's <c>Tenants[].Weight</c>) and, inside a tenant, between its
/// batches (equal weights), measured in reserved tokens. A job may take capacity only while no
/// job of a flow further below its share waits beside it, so a tenant with ten jobs gets through
/// beside one with a million, and a small batch beside a large one.
/// Only jobs at the gate are held here (the intake's and the lanes' concurrency bound them); the
/// backlog behind them stays in the broker, in the dispatch lanes.
/// </summary>
public sealed class FairShares(IOptions<CatalogOptions> catalog, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Group, int Priority), FairLevel> _levels = [];
    private readonly Dictionary<string, RecentRoutes> _recent = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _waiting = new(StringComparer.Ordinal);
    private readonly long _origin = time.GetTimestamp();
    private double _prunedAt;

    private double Now => time.GetElapsedTime(_origin).TotalSeconds;

    /// <summary>Puts a job at the gate of <paramref name="group"/>; it holds its place until <see cref="Leave"/>.</summary>
    public FairTicket Join(string group, FairKey key)
    {
        lock (_lock)
        {
            var now = Now;
            PruneNow(now);
            if (!_levels.TryGetValue((group, key.Priority), out var tenants))
            {
                _levels[(group, key.Priority)] = tenants = new FairLevel();
            }

            var tenant = tenants.Join(key.Tenant, withChildren: true);
            var batch = tenant.Children!.Join(key.Batch, withChildren: false);
            _waiting[key.Tenant] = _waiting.GetValueOrDefault(key.Tenant) + 1;
            return new FairTicket(group, key, tenants, tenant, batch, now);
        }
    }

    /// <summary>
    /// Whether the job may take capacity now: no job of another tenant further below its share
    /// waits at its level, nor one of another batch of its tenant further below the batch's share.
    /// </summary>
    public bool IsTurnOf(FairTicket ticket)
    {
        lock (_lock)
        {
            return !ticket.Tenants.AnyAhead(ticket.Tenant) && !ticket.Tenant.Children!.AnyAhead(ticket.Batch);
        }
    }

    /// <summary>Counts <paramref name="tokens"/> given to the job against its tenant's and batch's shares.</summary>
    public void Charge(FairTicket ticket, int tokens)
    {
        lock (_lock)
        {
            var now = Now;
            ticket.Tenants.Charge(ticket.Tenant, tokens / Weight(ticket.Key.Tenant));
            ticket.Tenant.Children!.Charge(ticket.Batch, tokens);
            if (!_recent.TryGetValue(ticket.Key.Tenant, out var recent))
            {
                _recent[ticket.Key.Tenant] = recent = new RecentRoutes();
            }

            recent.Add(tokens, now - ticket.JoinedAt, now);
        }
    }

    /// <summary>Takes the job away from the gate (routed, refused, cancelled, or waiting for something else). Idempotent.</summary>
    public void Leave(FairTicket ticket)
    {
        lock (_lock)
        {
            if (ticket.Left)
            {
                return;
            }

            ticket.Left = true;
            var now = Now;
            ticket.Tenant.Children!.Leave(ticket.Key.Batch, ticket.Batch, now);
            ticket.Tenants.Leave(ticket.Key.Tenant, ticket.Tenant, now);
            if (--_waiting[ticket.Key.Tenant] == 0)
            {
                _waiting.Remove(ticket.Key.Tenant);
            }
        }
    }

    /// <summary>Each tenant with jobs waiting or sent in the last minute: its share and its waits.</summary>
    public IReadOnlyList<TenantShare> Tenants()
    {
        lock (_lock)
        {
            var now = Now;
            var sums = _recent.ToDictionary(r => r.Key, r => r.Value.Sum(now), StringComparer.Ordinal);
            var total = sums.Values.Sum(s => s.Tokens);
            var shares = new List<TenantShare>();
            foreach (var name in sums.Keys.Union(_waiting.Keys).Order(StringComparer.Ordinal))
            {
                var (jobs, tokens, waits) = sums.GetValueOrDefault(name);
                var waiting = _waiting.GetValueOrDefault(name);
                if (jobs == 0 && waiting == 0)
                {
                    _recent.Remove(name);
                    continue;
                }

                shares.Add(new TenantShare(
                    name,
                    Weight(name),
                    waiting,
                    jobs,
                    tokens,
                    total > 0 ? (double)tokens / total : 0,
                    jobs > 0 ? waits / jobs : 0));
            }

            return shares;
        }
    }

    /// <summary>A tenant's weight: the catalog's, or 1 for a tenant it does not name.</summary>
    public double Weight(string tenant)
    {
        foreach (var t in catalog.Value.Tenants)
        {
            if (string.Equals(t.Name, tenant, StringComparison.Ordinal))
            {
                return t.Weight;
            }
        }

        return 1;
    }

    // Forgets idle flows now and then, so what is held stays bounded by what is active.
    private void PruneNow(double now)
    {
        if (now - _prunedAt < 10)
        {
            return;
        }

        _prunedAt = now;
        foreach (var key in _levels.Where(l => l.Value.Prune(now)).Select(l => l.Key).ToList())
        {
            _levels.Remove(key);
        }
    }
}
