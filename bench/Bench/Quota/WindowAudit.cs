using Dispatcher.Quotas;

namespace Dispatcher.Bench.Quota;

/// <summary>
/// Reads, once a run has ended and every outcome has been settled, what each deployment's
/// sliding windows in the dispatcher still count, through the quota's public headroom: once the
/// token bucket has refilled, the token headroom is the window's alone, so the window holds
/// TPM × (1 − headroom) tokens (and RPM × (1 − request headroom) requests). Compared with what
/// the calls the ledger recorded over the same span really used, the difference is what the
/// window counts for reservations that were never settled against their real usage.
/// </summary>
internal static class WindowAudit
{
    /// <summary>
    /// Waits for the buckets to refill (the run has ended, nothing takes from them), then reads
    /// every deployment's windows and the instant (wall clock) they were read at.
    /// </summary>
    public static async Task<WindowReading> ReadAsync(QuotaBook quotas, IReadOnlyList<DeploymentLimit> deployments, TimeSpan window, double padding, CancellationToken ct)
    {
        // A bucket refills its whole burst (10 % of a window) in a tenth of the padded window.
        await Task.Delay(window * (1 + padding) * 0.2, TimeProvider.System, ct);
        lock (quotas.Gate)
        {
            var now = quotas.Now;
            var at = TimeProvider.System.GetUtcNow();
            var counts = deployments.ToDictionary(
                d => d.Id,
                d => (Requests: d.Rpm * (1 - quotas[d.Id].RequestHeadroom(now)), Tokens: d.Tpm * (1 - quotas[d.Id].TokenHeadroom(now))),
                StringComparer.Ordinal);
            return new WindowReading(at, window * (1 + padding), counts);
        }
    }

    /// <summary>
    /// The same reading from a dispatcher in another process, through the quota use its status
    /// snapshot reports (<c>/api/status</c>), which gives the windows' counts themselves.
    /// </summary>
    public static WindowReading FromUsage(IEnumerable<QuotaUsage> usage, DateTimeOffset at, TimeSpan span) =>
        new(at, span, usage.ToDictionary(
            u => u.DeploymentId,
            u => (Requests: u.RequestsInWindow, Tokens: u.TokensInWindow),
            StringComparer.Ordinal));
}

/// <summary>What the dispatcher's windows counted at one instant.</summary>
/// <param name="At">When they were read (wall clock, to compare with the ledger's timestamps).</param>
/// <param name="Span">The dispatcher's window: the quota window with its padding.</param>
/// <param name="Counted">Requests and tokens each deployment's windows counted.</param>
internal sealed record WindowReading(DateTimeOffset At, TimeSpan Span, IReadOnlyDictionary<string, (double Requests, double Tokens)> Counted);
