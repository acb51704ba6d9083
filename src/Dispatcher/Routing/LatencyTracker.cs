namespace Dispatcher.Routing;

/// <summary>
/// Recent latency per output token for each deployment, which the latency-based strategy
/// compares. An average over the samples of a sliding time window, capped at the last
/// <c>maxSamples</c> calls, so a deployment that slows down (or recovers) shows it within
/// minutes and a busy one does not pay for a large history. Thread-safe.
/// </summary>
/// <remarks>
/// Per output token because jobs differ wildly in length: a 2,000-token answer is not a slow
/// deployment. A success with no output tokens counts as one token, i.e. per call.
/// <para>
/// A timeout is a sample too, or a deployment that times out would look as fast as its few
/// successes. It has no token count, so it is recorded as the larger of
/// <list type="bullet">
/// <item>the attempt timeout spread over <see cref="TimeoutNominalTokens"/> tokens: the call
/// took at least that long and returned nothing of a typical answer's length;</item>
/// <item><see cref="TimeoutMultiplier"/> times the deployment's current average over its
/// successes in the window, so that with short timeouts a timeout never reads as faster than
/// the deployment's real calls.</item>
/// </list>
/// The multiplier applies to successes only, so a run of timeouts does not compound.
/// </para>
/// </remarks>
public sealed class LatencyTracker
{
    /// <summary>How far back samples count by default.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromMinutes(5);

    /// <summary>How many samples per deployment are kept by default.</summary>
    public const int DefaultMaxSamples = 100;

    /// <summary>The output tokens a timed-out call is taken to have been producing.</summary>
    public const int TimeoutNominalTokens = 256;

    /// <summary>A timeout counts at least this many times the deployment's average success.</summary>
    public const double TimeoutMultiplier = 4;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, RecentSamples<Sample>> _byDeployment = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _window;
    private readonly int _maxSamples;

    /// <summary>A tracker over the default five-minute window and last 100 samples.</summary>
    public LatencyTracker(TimeProvider timeProvider)
        : this(timeProvider, DefaultWindow)
    {
    }

    /// <summary>A tracker over <paramref name="window"/> and the last <paramref name="maxSamples"/> samples per deployment.</summary>
    public LatencyTracker(TimeProvider timeProvider, TimeSpan window, int maxSamples = DefaultMaxSamples)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSamples, 1);
        _timeProvider = timeProvider;
        _window = window;
        _maxSamples = maxSamples;
    }

    /// <summary>Records a successful call that took <paramref name="latencyMs"/> and produced <paramref name="outputTokens"/>.</summary>
    public void RecordSuccess(string deploymentId, double latencyMs, int outputTokens)
    {
        ArgumentException.ThrowIfNullOrEmpty(deploymentId);
        ThrowIfNotFiniteOrNegative(latencyMs);
        ArgumentOutOfRangeException.ThrowIfNegative(outputTokens);

        var msPerToken = latencyMs / Math.Max(outputTokens, 1);
        lock (_gate)
        {
            Ring(deploymentId).Add(_timeProvider.GetTimestamp(), new Sample(msPerToken, IsTimeout: false));
        }
    }

    /// <summary>Records a call that gave up after <paramref name="timeoutMs"/>, as a penalty (see the remarks).</summary>
    public void RecordTimeout(string deploymentId, double timeoutMs)
    {
        ArgumentException.ThrowIfNullOrEmpty(deploymentId);
        ThrowIfNotFiniteOrNegative(timeoutMs);

        lock (_gate)
        {
            var now = _timeProvider.GetTimestamp();
            var ring = Ring(deploymentId);
            var penalty = timeoutMs / TimeoutNominalTokens;
            if (Average(ring, now, includeTimeouts: false) is { } successes)
            {
                penalty = Math.Max(penalty, TimeoutMultiplier * successes);
            }

            ring.Add(now, new Sample(penalty, IsTimeout: true));
        }
    }

    /// <summary>The average latency per output token over the window, or null when there is no sample in it.</summary>
    public double? MsPerToken(string deploymentId)
    {
        ArgumentException.ThrowIfNullOrEmpty(deploymentId);
        lock (_gate)
        {
            return _byDeployment.TryGetValue(deploymentId, out var ring)
                ? Average(ring, _timeProvider.GetTimestamp(), includeTimeouts: true)
                : null;
        }
    }

    private RecentSamples<Sample> Ring(string deploymentId)
    {
        if (!_byDeployment.TryGetValue(deploymentId, out var ring))
        {
            ring = new RecentSamples<Sample>(_maxSamples);
            _byDeployment.Add(deploymentId, ring);
        }

        return ring;
    }

    private static void ThrowIfNotFiniteOrNegative(double value, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string? name = null)
    {
        if (!double.IsFinite(value) || value < 0)
        {
            throw new ArgumentOutOfRangeException(name, value, "Must be a finite, non-negative number of milliseconds.");
        }
    }

    private double? Average(RecentSamples<Sample> ring, long now, bool includeTimeouts)
    {
        var sum = 0.0;
        var n = 0;
        foreach (var sample in ring.Recent(_timeProvider, _window, now))
        {
            if (includeTimeouts || !sample.IsTimeout)
            {
                sum += sample.MsPerToken;
                n++;
            }
        }

        return n == 0 ? null : sum / n;
    }

    private readonly record struct Sample(double MsPerToken, bool IsTimeout);
}
