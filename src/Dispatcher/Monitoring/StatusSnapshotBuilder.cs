using System.Globalization;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Dispatching;
using Dispatcher.Ledger;
using Dispatcher.Quotas;
using Dispatcher.Routing;
using Dispatcher.ServiceDefaults.Messaging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dispatcher.Monitoring;

/// <summary>
/// Builds a <see cref="DispatcherStatus"/> from the live parts of a running dispatcher (quota
/// book with the providers' pauses, spend book, dispatch gate, breaker gate, queue depths) and the ledger (batches, the jobs
/// of no batch, jobs per deployment, and breakers when no live gate is registered).
/// </summary>
public sealed class StatusSnapshotBuilder(
    IOptions<CatalogOptions> catalog,
    IOptions<TransportOptions> transport,
    QuotaBook quotas,
    SpendBook spend,
    DispatchGate gate,
    JobLedger ledger,
    IQueueDepths depths,
    IServiceProvider services,
    TimeProvider time)
{
    private const int RecentBatches = 20;

    // Resolved lazily and optionally: the gate is registered only where it runs.
    private readonly Lazy<IBreakerStates?> _breakers = new(services.GetService<IBreakerStates>);

    /// <summary>Reads everything once; <paramref name="previous"/> (the last snapshot) gives the throughput.</summary>
    public async Task<DispatcherStatus> BuildAsync(DispatcherStatus? previous, CancellationToken ct)
    {
        var at = time.GetUtcNow();
        var usage = quotas.Usage().ToDictionary(u => u.DeploymentId, StringComparer.Ordinal);
        var pauses = quotas.Pauses().ToDictionary(p => p.DeploymentId, p => PauseStatus.From(p, at, "quota"), StringComparer.Ordinal);
        var breakers = await BreakersAsync(ct);
        var shares = (await ledger.ListDeploymentSharesAsync(ct)).ToDictionary(s => s.DeploymentId, StringComparer.Ordinal);
        var weights = services.GetService<AdaptiveWeights>()?.Current(catalog.Value).ToDictionary(w => w.Key, w => w.Value.Weight, StringComparer.Ordinal);
        var windows = services.GetService<AvailabilityFilter>();
        var deployments = catalog.Value.Deployments.Select(d =>
        {
            var quota = usage.TryGetValue(d.Id, out var u)
                ? u
                : null;
            var share = shares.GetValueOrDefault(d.Id);
            return new DeploymentStatus(
                d.Id,
                d.ModelGroup,
                d.Provider.ToString(),
                quota,
                breakers.GetValueOrDefault(d.Id) ?? new BreakerStatus("closed", null, null, "default"),
                share?.Succeeded ?? 0,
                share?.Failed ?? 0,
                pauses.GetValueOrDefault(d.Id),
                weights is not null && weights.TryGetValue(d.Id, out var weight) ? weight : null,
                windows?.ClosureOf(d.Id));
        }).ToList();

        var budgets = spend.Caps
            .Select(c =>
            {
                var (spent, reserved) = spend.Account(c.Key);
                return new BudgetStatus(c.Key, c.Budget.Period.ToString(), c.Budget.Limit, spent, reserved);
            })
            .ToList();

        var batches = Totals(await ledger.ListBatchesAsync(RecentBatches, ct), previous, at);
        return new DispatcherStatus(
            at,
            transport.Value.Kind.ToString(),
            new QueueStatus(depths.ReadAt, depths.ReadAt is null ? "pending" : SourceOf(depths), depths.Latest),
            deployments,
            budgets,
            batches,
            gate.Waiting,
            await ledger.GetLooseJobsAsync(ct),
            gate.Shares.Tenants(),
            services.GetService<Standby.DispatcherActivation>()?.OwnedShares);
    }

    /// <summary>Batch counts over the running batches, with throughput measured since the previous snapshot.</summary>
    public static BatchTotals Totals(IReadOnlyList<BatchStatus> rows, DispatcherStatus? previous, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var elapsed = previous is not null && at > previous.At ? (at - previous.At).TotalSeconds : 0;
        var endedBefore = previous?.Batches.Recent.ToDictionary(b => b.Id, b => b.Succeeded + b.Failed, StringComparer.Ordinal);
        var recent = rows.Select(r => WithRate(Progress(r), r, endedBefore, elapsed)).ToList();
        var running = rows.Where(r => !r.IsEnded).ToList();
        var finishedAll = rows.Sum(r => r.Finished);
        var throughput = 0.0;
        if (previous is not null && at > previous.At)
        {
            // Finished jobs across the same recent batches; a batch falling out of the list cannot make it negative.
            var before = previous.Batches.Recent.Sum(b => b.Succeeded + b.Failed);
            throughput = Math.Max(0, finishedAll - before) / (at - previous.At).TotalSeconds;
        }

        var total = running.Sum(r => r.TotalJobs ?? r.Queued + r.Dispatched + r.Finished);
        var finished = running.Sum(r => r.Finished);
        double? eta = running.Count == 0 ? 0 : throughput > 0 ? Math.Max(0, total - finished) / throughput : null;
        return new BatchTotals(
            running.Count,
            total,
            running.Sum(r => r.Queued),
            running.Sum(r => r.Dispatched),
            running.Sum(r => r.Succeeded),
            running.Sum(r => r.Failed),
            Math.Round(throughput, 3),
            eta is { } e ? Math.Round(e, 1) : null,
            recent);
    }

    // A batch's own rate since the previous snapshot, and when it ends at that rate.
    private static BatchProgress WithRate(BatchProgress progress, BatchStatus row, Dictionary<string, long>? before, double elapsed)
    {
        if (row.IsEnded)
        {
            return progress with { EtaSeconds = 0 };
        }

        if (before is null || elapsed <= 0 || !before.TryGetValue(row.BatchId, out var earlier))
        {
            return progress;
        }

        var rate = Math.Max(0, row.Finished - earlier) / elapsed;
        var remaining = Math.Max(0, (row.TotalJobs ?? row.Queued + row.Dispatched + row.Finished) - row.Finished);
        return progress with { ThroughputPerSecond = Math.Round(rate, 3), EtaSeconds = rate > 0 ? Math.Round(remaining / rate, 1) : null };
    }

    /// <summary>
    /// <paramref name="status"/> with batch <paramref name="batchId"/> among its recent batches,
    /// read from the ledger when the snapshot lacks it (it is older than the recent ones); as it
    /// was when the ledger knows no such batch.
    /// </summary>
    public async Task<DispatcherStatus> IncludingAsync(DispatcherStatus status, string batchId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(status);
        return status.Batches.Recent.Any(b => b.Id == batchId) || await ledger.GetBatchStatusAsync(batchId, ct) is not { } row
            ? status
            : Including(status, row);
    }

    /// <summary><paramref name="status"/> with <paramref name="row"/>'s batch added to its recent batches, unless it is there already.</summary>
    public static DispatcherStatus Including(DispatcherStatus status, BatchStatus row)
    {
        ArgumentNullException.ThrowIfNull(status);
        ArgumentNullException.ThrowIfNull(row);
        return status.Batches.Recent.Any(b => b.Id == row.BatchId)
            ? status
            : status with { Batches = status.Batches with { Recent = [.. status.Batches.Recent, Progress(row)] } };
    }

    /// <summary>A ledger row as the status reports a batch.</summary>
    public static BatchProgress Progress(BatchStatus row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return new BatchProgress(
            row.BatchId, row.Source, row.TotalJobs, row.NotYetReceived, row.Queued, row.Dispatched, row.Succeeded, row.Failed, row.Cost, row.IsEnded, row.CreatedAt,
            row.State, row.ExpiresAt, Metadata: row.Metadata, Reason: row.ControlReason);
    }

    /// <summary>A ledger breaker row as the status reports it.</summary>
    public static BreakerStatus FromLedger(BreakerRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var changed = DateTimeOffset.TryParse(row.ChangedAt, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var c) ? c : (DateTimeOffset?)null;
        return new BreakerStatus(row.State, row.Reason, changed, "ledger");
    }

    /// <summary>The name status and the ledger use for a breaker state.</summary>
    public static string Name(BreakerState state) => state switch
    {
        BreakerState.Open => "open",
        BreakerState.HalfOpen => "half-open",
        _ => "closed",
    };

    private async Task<Dictionary<string, BreakerStatus>> BreakersAsync(CancellationToken ct)
    {
        if (_breakers.Value is { } live)
        {
            return live.Current.ToDictionary(
                b => b.DeploymentId,
                b => new BreakerStatus(Name(b.State), b.Reason, b.ChangedAt, "gate", b.Probes),
                StringComparer.Ordinal);
        }

        return (await ledger.ListBreakersAsync(ct)).ToDictionary(b => b.DeploymentId, FromLedger, StringComparer.Ordinal);
    }

    private static string SourceOf(IQueueDepths depths) => depths is QueueDepthMonitor monitor ? monitor.Source : "unknown";
}
