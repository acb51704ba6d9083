using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Dispatching;
using Dispatcher.Ledger;
using Dispatcher.Reconciling;
using Dispatcher.Reservations;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dispatcher.Quotas;

/// <summary>
/// Tenant budget caps held in the ledger itself when it is PostgreSQL, where several dispatcher
/// processes may share it: a tenant's jobs span model groups and so the shares of several
/// dispatchers, and no one process's <see cref="SpendBook"/> sees all its spend. Deployment and
/// model-group caps stay in the process that owns their group, and on SQLite (one process writes)
/// every cap stays in the <see cref="SpendBook"/> alone.
/// </summary>
/// <remarks>
/// <para>
/// The <see cref="SpendBook"/> remains the fast first check at routing; the ledger is the
/// authority. An attempt's claim reserves its estimate on the tenant's account for the period in
/// the same write (<see cref="JobLedger.ClaimAttemptAsync"/>), by one conditional statement that
/// passes only while spent plus reserved stays within the cap; the attempt's first report settles
/// it (<see cref="JobLedger.RecordAttemptAsync(AttemptRow, SpendSettlement?, CancellationToken)"/>).
/// </para>
/// <para>
/// A process that crashes leaves its holds in the accounts. They are released in two ways: an
/// attempt that still reports (a worker had it) is settled by whichever dispatcher records its
/// report, as any other; one that never reports is re-driven by the reconciler as a new attempt,
/// and the account is recomputed from the ledger's jobs (<see cref="JobLedger.RecomputeSpendAccountAsync"/>:
/// spent from the period's succeeded jobs, reserved from the jobs whose latest attempt is under
/// way) when this process starts and then every <c>Reconciler:Interval</c>, so a hold nothing
/// will settle lasts at most until the next recompute after its attempt is re-driven or its job
/// ends. Until then it only makes the cap stricter, never looser.
/// </para>
/// </remarks>
public sealed class SharedTenantBudgets : BackgroundService
{
    private readonly Dictionary<string, BudgetOptions> _caps = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DeploymentOptions> _deployments;
    private readonly JobLedger _ledger;
    private readonly SpendBook _spend;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly ILogger<SharedTenantBudgets> _logger;

    /// <summary>Holds the tenant caps of the catalog in the ledger when the ledger is PostgreSQL.</summary>
    public SharedTenantBudgets(
        IOptions<CatalogOptions> catalog,
        IOptions<LedgerOptions> ledgerOptions,
        IOptions<ReconcilerOptions> reconciler,
        JobLedger ledger,
        SpendBook spend,
        TimeProvider time,
        ILogger<SharedTenantBudgets> logger)
    {
        if (ledgerOptions.Value.Provider == LedgerProvider.Postgres)
        {
            foreach (var tenant in catalog.Value.Tenants.Where(t => t.Budget is not null))
            {
                _caps[tenant.Name] = tenant.Budget!;
            }
        }

        _deployments = catalog.Value.Deployments.ToDictionary(d => d.Id, StringComparer.Ordinal);
        _ledger = ledger;
        _spend = spend;
        _time = time;
        _interval = reconciler.Value.Interval;
        _logger = logger;
    }

    /// <summary>Whether any tenant cap is held in the ledger (the ledger is PostgreSQL and the catalog caps a tenant).</summary>
    public bool Active => _caps.Count > 0;

    /// <summary>
    /// The hold an attempt's claim makes on its tenant's account in the ledger for
    /// <paramref name="reservation"/>, giving back what the claim it replaces held
    /// (<paramref name="replaced"/>, on the deployment that claim named); null when the tenant's cap
    /// is not held in the ledger.
    /// </summary>
    public SpendHold? HoldFor(AttemptReservation reservation, AttemptReservation? replaced)
    {
        if (reservation.Tenant is not { } tenant || !_caps.TryGetValue(tenant, out var cap))
        {
            return null;
        }

        return new SpendHold(SpendBook.TenantKey(tenant), cap.PeriodStart(_time.GetUtcNow()), cap.Limit, reservation.EstimatedCost, replaced?.EstimatedCost ?? 0m);
    }

    /// <summary>
    /// What the first report of an attempt settles on its tenant's account in the ledger: its
    /// estimate, against the call's real cost (nothing when it failed); null when the tenant's cap
    /// is not held in the ledger.
    /// </summary>
    public SpendSettlement? SettlementFor(AttemptReservation reservation, CompletionAttempted outcome)
    {
        if (reservation.Tenant is not { } tenant || !_caps.TryGetValue(tenant, out var cap))
        {
            return null;
        }

        var actual = outcome.Error == ErrorKind.None ? CostCalculator.Cost(reservation.Deployment, outcome.Usage) : 0m;
        return new SpendSettlement(SpendBook.TenantKey(tenant), cap.PeriodStart(_time.GetUtcNow()), reservation.EstimatedCost, actual);
    }

    /// <summary>
    /// Recomputes every tenant account of the current period from the ledger's jobs, and sets this
    /// process's own account of each tenant to it: its fast check at routing, and what it reports
    /// as spent, then count what every dispatcher sharing the ledger spent and holds.
    /// </summary>
    public async Task RecomputeAsync(CancellationToken ct)
    {
        foreach (var (tenant, cap) in _caps)
        {
            var key = SpendBook.TenantKey(tenant);
            var account = await _ledger.RecomputeSpendAccountAsync(key, tenant, cap.PeriodStart(_time.GetUtcNow()), Estimate, ct);
            _spend.Restore(key, account.Spent, account.Reserved);
        }
    }

    /// <inheritdoc />
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Active)
        {
            await RecomputeAsync(cancellationToken);
        }

        await base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Active)
        {
            return;
        }

        using var timer = new PeriodicTimer(_interval, _time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await RecomputeAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The next pass recomputes again; meanwhile the accounts hold at most too much.
                _logger.LogWarning(e, "Recomputing the tenants' spend accounts failed; trying again in {Interval}", _interval);
            }
        }
    }

    // A deployment no longer in the catalog prices nothing: its attempt holds nothing.
    private decimal Estimate(string deploymentId, long promptTokens, long maxTokens) =>
        _deployments.TryGetValue(deploymentId, out var deployment) ? CostCalculator.Cost(deployment, promptTokens, maxTokens) : 0m;
}
