using System.Globalization;
using Dispatcher.Ledger;
using Dispatcher.Quotas;
using Dispatcher.Submitter.Status;

namespace Dispatcher.Submitter.Cli;

/// <summary>
/// What batch progress says: the finished counts, and while a provider has paused a deployment
/// (a Retry-After), which one, until when and why, so progress that stands still says what it
/// waits for. Every paused deployment is named, whichever batch it holds up: the ledger keeps
/// pauses per deployment, not per batch.
/// </summary>
internal static class ProgressText
{
    /// <summary>The progress bar's description of the finished jobs.</summary>
    public static string Finished(BatchStatus status, IReadOnlyList<DeploymentPause> pauses, DateTimeOffset now, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(status);
        return string.Create(CultureInfo.InvariantCulture, $"finished ({status.Succeeded} ok, {status.Failed} failed, {status.Dispatched} in flight)")
            + State(status) + Waiting(pauses, now, zone);
    }

    /// <summary>The line printed once a second when output is redirected.</summary>
    public static string Line(TimeSpan elapsed, long submitted, long total, BatchStatus status, IReadOnlyList<DeploymentPause> pauses, DateTimeOffset now, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(status);
        var rate = status.Finished / Math.Max(0.001, elapsed.TotalSeconds);
        return string.Create(
                CultureInfo.InvariantCulture,
                $"[{elapsed:mm\\:ss}] submitted {submitted}/{total}  finished {status.Finished}/{total} ({status.Succeeded} ok, {status.Failed} failed, {status.Dispatched} in flight)  {rate:F0} jobs/s")
            + Eta(status.Finished, total, rate) + State(status) + Waiting(pauses, now, zone);
    }

    /// <summary><c>  ETA 01:23</c>: when the batch ends at <paramref name="rate"/> jobs a second; empty once it ended or while nothing has.</summary>
    public static string Eta(long finished, long total, double rate) =>
        finished >= total || rate <= 0
            ? ""
            : "  ETA " + TimeSpan.FromSeconds(Math.Ceiling((total - finished) / rate)).ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture);

    /// <summary>
    /// <c>  paused</c>, <c>  cancelling</c>…: the batch's state when a command or its completion
    /// window stopped it; empty while it simply runs or has completed.
    /// </summary>
    public static string State(BatchStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return status.State is BatchState.Paused or BatchState.Cancelling or BatchState.Cancelled or BatchState.Expired ? "  " + status.State : "";
    }

    /// <summary>
    /// <c>  waiting: sim-east paused by the provider until 22:50:13 (429 Retry-After 30 s)</c> for
    /// the deployments paused at <paramref name="now"/> (a pause past is none); empty when none is.
    /// </summary>
    public static string Waiting(IReadOnlyList<DeploymentPause> pauses, DateTimeOffset now, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(pauses);
        var active = pauses.Where(p => p.IsActive(now)).Select(p => PauseText.Describe(p.DeploymentId, p.Until, p.Reason, p.WaitingJobs, zone)).ToList();
        return active.Count == 0 ? "" : "  waiting: " + string.Join("; ", active);
    }
}
