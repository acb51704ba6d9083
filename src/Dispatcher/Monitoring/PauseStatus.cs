using Dispatcher.Quotas;

namespace Dispatcher.Monitoring;

/// <summary>
/// A provider's pause of a deployment (a Retry-After): until when, the seconds left at the
/// snapshot, why (e.g. <c>429 Retry-After 30 s</c>), how many jobs wait out a retry delay after
/// it, and <c>Source</c>: <c>quota</c> (the dispatcher's live quota book) or <c>ledger</c> (as the
/// dispatcher last saved it).
/// </summary>
public sealed record PauseStatus(DateTimeOffset Until, double SecondsLeft, string? Reason, int WaitingJobs, string Source)
{
    /// <summary>The pause as the status reports it at <paramref name="at"/>.</summary>
    public static PauseStatus From(DeploymentPause pause, DateTimeOffset at, string source)
    {
        ArgumentNullException.ThrowIfNull(pause);
        return new PauseStatus(pause.Until, Math.Round(Math.Max(0, (pause.Until - at).TotalSeconds), 1), pause.Reason, pause.WaitingJobs, source);
    }
}
