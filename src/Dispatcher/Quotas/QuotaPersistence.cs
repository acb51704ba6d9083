using Dispatcher.Catalog;
using Dispatcher.Ledger;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dispatcher.Quotas;

/// <summary>
/// Carries quota state across restarts: restores bucket levels before the bus starts consuming
/// (saved twice a second while running and once more on a clean stop) and refills the sliding
/// windows from the attempts the ledger shows the providers still count: those settled in the
/// last window, retries and fallbacks included, and those still under way. A restarted
/// dispatcher neither hands out a fresh burst nor forgets calls its providers still count.
/// A standby (a second dispatcher waiting on single-active queues) saves nothing until it takes
/// over, and then reads the state the active process left before routing anything. With several
/// shares, each share's deployments are taken over, saved and left on their own, so two active
/// processes never overwrite each other's levels.
/// </summary>
internal sealed class QuotaPersistence(
    QuotaBook quotas,
    SpendBook spend,
    IOptions<CatalogOptions> catalog,
    JobLedger ledger,
    TimeProvider time,
    ILogger<QuotaPersistence> logger)
    : BackgroundService
{
    private const string OnStop = "on stop";
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    // Attempts sent or settled up to this instant are in the sliding windows already (per share:
    // each is taken over on its own); a later seed adds only those sent or settled after it.
    private readonly Dictionary<int, DateTimeOffset> _seededUntil = [];

    // The shares taken over, and their deployments (null: every deployment, with one share).
    private readonly Dictionary<int, IReadOnlySet<string>?> _owned = [];
    private readonly Lock _lock = new();

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var levels = await RestoreAsync(share: 0, deployments: null, cancellationToken);
        if (levels > 0)
        {
            logger.LogInformation("Restored quota levels of {Count} deployment(s) from the ledger", levels);
        }

        await base.StartAsync(cancellationToken);
    }

    /// <summary>
    /// Called once, before this process consumes its first message: reads again what the ledger
    /// holds (the active process may have routed jobs since this one started), then keeps saving.
    /// </summary>
    public Task TakeOverAsync(CancellationToken ct) => TakeOverAsync(share: 0, deployments: null, ct);

    /// <summary>
    /// Takes <paramref name="share"/> over: as <see cref="TakeOverAsync(CancellationToken)"/>, for the
    /// levels and windows of <paramref name="deployments"/> alone (every deployment when null).
    /// </summary>
    public async Task TakeOverAsync(int share, IReadOnlySet<string>? deployments, CancellationToken ct)
    {
        await RestoreAsync(share, deployments, ct);
        lock (_lock)
        {
            _owned[share] = deployments;
        }
    }

    /// <summary>Stops saving the levels of <paramref name="share"/>'s deployments: another process took it over.</summary>
    public void Leave(int share)
    {
        lock (_lock)
        {
            _owned.Remove(share);
        }
    }

    // Levels and spend are set, not added to, so restoring twice is safe; the windows are only
    // seeded with attempts sent or settled since the last seed, so none is counted twice: one
    // seeded while under way is settled by the later seed that reads its outcome.
    private async Task<int> RestoreAsync(int share, IReadOnlySet<string>? deployments, CancellationToken ct)
    {
        var levels = (await ledger.LoadQuotaLevelsAsync(ct)).Where(l => deployments is null || deployments.Contains(l.DeploymentId)).ToList();
        quotas.Restore(levels);
        var readAt = time.GetUtcNow();
        // An outcome recorded a window ago was received before then; an attempt under way counts
        // until its open cap.
        var recordedAfter = readAt - quotas.Window - quotas.Padding;
        var sentAfter = readAt - quotas.OpenCap;
        var seededUntil = _seededUntil.GetValueOrDefault(share, DateTimeOffset.MinValue);
        var attempts = await ledger.RecentAttemptsAsync(Later(recordedAfter, seededUntil), Later(sentAfter, seededUntil), ct);
        quotas.Seed(attempts.Where(a => deployments is null || deployments.Contains(a.DeploymentId)));
        _seededUntil[share] = readAt;
        await RestoreSpendAsync(ct);
        return levels.Count;
    }

    // Spend is not saved separately: the ledger's jobs are the record of it, so a restart
    // recomputes every cap's account from them and never forgets money already spent. Each job
    // counts against exactly the caps routing reserved it on and its settle charged: those of the
    // deployment that ran it (SpendBook.KeysFor), so a job that fell back to another model group
    // counts against that group's cap, not its own group's.
    private async Task RestoreSpendAsync(CancellationToken ct)
    {
        var deployments = catalog.Value.Deployments.ToDictionary(d => d.Id, StringComparer.Ordinal);
        foreach (var period in spend.Caps.GroupBy(c => c.Budget.PeriodStart(time.GetUtcNow())))
        {
            var accounts = new Dictionary<string, (decimal Spent, decimal Reserved)>(StringComparer.Ordinal);
            foreach (var row in await ledger.SpendSinceAsync(period.Key, ct))
            {
                deployments.TryGetValue(row.DeploymentId, out var deployment);
                var (spent, reserved) = row.State == JobState.Succeeded
                    ? (row.Cost, 0m)
                    : (0m, deployment is null ? 0m : Dispatching.CostCalculator.Cost(deployment, row.EstPromptTokens, row.MaxTokens));
                foreach (var key in KeysFor(row, deployment))
                {
                    var account = accounts.GetValueOrDefault(key);
                    accounts[key] = (account.Spent + spent, account.Reserved + reserved);
                }
            }

            foreach (var (key, _) in period)
            {
                var (spent, reserved) = accounts.GetValueOrDefault(key);
                spend.Restore(key, spent, reserved);
            }
        }
    }

    // A deployment no longer in the catalog has no cap of its own and its group is no longer
    // known: what it spent counts against the job's own group.
    private static IEnumerable<string> KeysFor(SpendRow row, DeploymentOptions? deployment) =>
        deployment is not null
            ? SpendBook.KeysFor(deployment, row.Tenant)
            : row.Tenant is null ? [SpendBook.GroupKey(row.ModelGroup)] : [SpendBook.GroupKey(row.ModelGroup), SpendBook.TenantKey(row.Tenant)];

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    /// <summary>
    /// Saves the levels once more, within what is left of the stop's grace: a ledger locked past
    /// it, or closed, costs only this save (a restart seeds its windows from the ledger's attempts
    /// and restores the levels saved half a second before), so it is logged, never thrown.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await TrySaveAsync(OnStop, cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            // A locked ledger must not end the saving for good: the next tick tries again.
            await TrySaveAsync("this time", stoppingToken);
        }
    }

    private async Task TrySaveAsync(string when, CancellationToken ct)
    {
        var levels = OwnedLevels();
        if (levels.Count == 0)
        {
            return;
        }

        try
        {
            await ledger.SaveQuotaLevelsAsync(levels, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested && when != OnStop)
        {
            // Stopping: the save on stop follows.
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || TransientLedgerError.IsMatch(e))
        {
            var reason = e is OperationCanceledException ? "the ledger stayed locked or closed until the stop's grace ran out" : e.Message;
            logger.LogWarning(
                "Quota levels of {Count} deployment(s) ({Deployments}) were not saved {When}: {Reason}; a restart restores the levels saved before and refills the windows from the ledger's attempts",
                levels.Count,
                string.Join(", ", levels.Select(l => l.DeploymentId)),
                when,
                reason);
        }
    }

    // The levels of the deployments of the shares taken over: none before the first take-over.
    private List<QuotaLevel> OwnedLevels()
    {
        lock (_lock)
        {
            if (_owned.Count == 0)
            {
                return [];
            }

            var all = _owned.Values.Any(d => d is null);
            return quotas.Levels().Where(l => all || _owned.Values.Any(d => d!.Contains(l.DeploymentId))).ToList();
        }
    }
}
