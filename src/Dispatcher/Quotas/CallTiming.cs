namespace Dispatcher.Quotas;

/// <summary>
/// What an attempt's outcome says about when the provider received the call, which is when the
/// provider starts counting it against its limits.
/// </summary>
/// <param name="Latency">The worker's measure of the whole call, from just before the request went out to the answer.</param>
/// <param name="ProviderTime">
/// How long the provider says it spent on the call (<c>openai-processing-ms</c>, the simulated
/// provider), when it said: it received the call at least that long before the worker had the answer.
/// </param>
public readonly record struct CallTiming(TimeSpan Latency, TimeSpan? ProviderTime)
{
    // A call reported as taking longer than a day counts as a day: the window never counts a
    // call from before its reservation anyway, and TimeSpan cannot hold every double.
    private const double MaxCallDurationMs = 24 * 60 * 60 * 1000.0;

    /// <summary>
    /// The worker's measures of a call in milliseconds (as an outcome reports them and the ledger
    /// keeps them), as durations: one that is not a positive number of milliseconds is none.
    /// </summary>
    public static CallTiming FromMilliseconds(double latencyMs, double? providerMs) =>
        new(Duration(latencyMs), providerMs is { } ms && ms >= 0 ? Duration(ms) : null);

    /// <summary>
    /// How long before the outcome the provider received the call, at the latest. Said by the
    /// provider, it is exact, whatever the request's way to the provider took. Else the call is
    /// taken to have reached the provider <paramref name="padding"/> after the worker started it
    /// (the request crossing the network, a connection being set up), and never after the answer.
    /// </summary>
    public TimeSpan SinceReceived(TimeSpan padding)
    {
        var latency = Latency > TimeSpan.Zero ? Latency : TimeSpan.Zero;
        if (ProviderTime is { } provider && provider >= TimeSpan.Zero)
        {
            return provider < latency ? provider : latency;
        }

        var since = latency - padding;
        return since > TimeSpan.Zero ? since : TimeSpan.Zero;
    }

    private static TimeSpan Duration(double ms) => ms > 0 ? TimeSpan.FromMilliseconds(Math.Min(ms, MaxCallDurationMs)) : TimeSpan.Zero;
}
