using System.Globalization;

namespace Dispatcher.Submitter.Status;

/// <summary>
/// How progress, <c>status</c> and <c>watch</c> name a deployment a provider has paused (a
/// Retry-After), e.g. <c>sim-east paused by the provider until 22:50:13 (429 Retry-After 30 s), 12 jobs waiting</c>.
/// </summary>
internal static class PauseText
{
    /// <summary>
    /// The pause of <paramref name="deploymentId"/> until <paramref name="until"/>, shown in
    /// <paramref name="zone"/>; with the time left when <paramref name="secondsLeft"/> is given.
    /// </summary>
    public static string Describe(string deploymentId, DateTimeOffset until, string? reason, int waitingJobs, TimeZoneInfo zone, double? secondsLeft = null)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var text = new System.Text.StringBuilder()
            .Append(deploymentId)
            .Append(" paused by the provider until ")
            .Append(TimeZoneInfo.ConvertTime(until, zone).ToString("HH:mm:ss", CultureInfo.InvariantCulture));
        if (secondsLeft is { } left)
        {
            text.Append(", ").Append(Left(left)).Append(" left");
        }

        if (!string.IsNullOrEmpty(reason))
        {
            text.Append(" (").Append(reason).Append(')');
        }

        if (waitingJobs > 0)
        {
            text.Append(", ").Append(waitingJobs.ToString(CultureInfo.InvariantCulture)).Append(waitingJobs == 1 ? " job waiting" : " jobs waiting");
        }

        return text.ToString();
    }

    // Seconds under a minute, else h:mm:ss: a pause is seconds long as a rule, up to a day at most.
    private static string Left(double seconds)
    {
        var whole = Math.Max(0, Math.Ceiling(seconds));
        return whole < 60
            ? whole.ToString("0", CultureInfo.InvariantCulture) + " s"
            : TimeSpan.FromSeconds(whole).ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture);
    }
}
