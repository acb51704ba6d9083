using Dispatcher.Catalog;
using Dispatcher.Contracts;

namespace Dispatcher.Routing;

/// <summary>
/// Each deployment's weight for the <c>weighted-adaptive</c> strategy: its configured
/// <c>Weight</c> (the prior) times how healthy it has been lately compared with the healthiest
/// deployment of its model group, never below <see cref="Floor"/> of the prior. Fed by the
/// settled outcomes of attempts; thread-safe.
/// </summary>
/// <remarks>
/// Over the outcomes of a sliding window (the model group's <c>AdaptiveWindow</c>,
/// <see cref="DefaultWindow"/> by default; at most
/// <see cref="DefaultMaxSamples"/> per deployment), a deployment's score is
/// <c>throughput ÷ (latency × (1 + error rate))</c>, where throughput is its success rate (the
/// share of calls that deliver), latency is provider seconds per output token over its successes
/// (the provider's own processing time when it states one, else the call's wall time) and the
/// error rate is one minus the success rate. So a deployment that answers half as fast scores
/// half, and one that fails half its calls scores a third.
/// <para>
/// The score is divided by the best score among the deployments of the same model group with
/// outcomes in the window: the healthiest keeps its prior. A deployment with no outcome in the
/// window also keeps its prior, so one never tried gets its share and gets measured, and one that
/// sank to the floor comes back once its bad outcomes leave the window. The floor keeps a sick
/// deployment picked now and then, whose new outcomes show it recovering sooner.
/// </para>
/// <para>
/// Only outcomes that say something about the deployment count: successes, and failures of
/// the deployment or the way to it (<see cref="CountsAgainstHealth"/>). A job's own bad
/// request, an oversized prompt or a refused content says nothing about where it was sent. A 429
/// does not count either: it says the deployment is at its quota, which the quota buckets and the
/// provider's pause already act on; counting it too would move traffic off a deployment that is
/// healthy and already being paced, and on a quota shared with other clients.
/// </para>
/// </remarks>
public sealed class AdaptiveWeights
{
    /// <summary>How far back outcomes count by default.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromMinutes(5);

    /// <summary>How many outcomes per deployment are kept by default.</summary>
    public const int DefaultMaxSamples = 100;

    /// <summary>The least share of its prior a deployment keeps by default.</summary>
    public const double DefaultFloor = 0.05;

    // A success's provider time is taken as at least this, so a figure of 0 ms cannot make a
    // deployment infinitely fast.
    private const double MinSeconds = 0.001;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Track> _byDeployment = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;
    private readonly Func<string, TimeSpan> _windowOf;
    private readonly int _maxSamples;

    /// <summary>Weights over the default five-minute window and last 100 outcomes, with a floor of 5 %.</summary>
    public AdaptiveWeights(TimeProvider timeProvider)
        : this(timeProvider, DefaultWindow)
    {
    }

    /// <summary>Weights over <paramref name="window"/> and the last <paramref name="maxSamples"/> outcomes, never below <paramref name="floor"/> of the prior.</summary>
    public AdaptiveWeights(TimeProvider timeProvider, TimeSpan window, double floor = DefaultFloor, int maxSamples = DefaultMaxSamples)
        : this(timeProvider, _ => window, floor, maxSamples)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
    }

    /// <summary>Weights over each model group's <c>AdaptiveWindow</c> in <paramref name="catalog"/>, the last 100 outcomes, with a floor of 5 %.</summary>
    public AdaptiveWeights(TimeProvider timeProvider, CatalogOptions catalog)
        : this(timeProvider, WindowsOf(catalog), DefaultFloor, DefaultMaxSamples)
    {
    }

    private AdaptiveWeights(TimeProvider timeProvider, Func<string, TimeSpan> windowOf, double floor, int maxSamples)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(floor, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(floor, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSamples, 1);
        _timeProvider = timeProvider;
        _windowOf = windowOf;
        Floor = floor;
        _maxSamples = maxSamples;
    }

    private static Func<string, TimeSpan> WindowsOf(CatalogOptions catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return group => catalog.Group(group).AdaptiveWindow;
    }

    /// <summary>The least share of its prior a deployment keeps (0..1].</summary>
    public double Floor { get; }

    /// <summary>Whether a failure of <paramref name="error"/> counts against the deployment's health (see the remarks).</summary>
    public static bool CountsAgainstHealth(ErrorKind error) =>
        error is ErrorKind.Timeout or ErrorKind.ServerError or ErrorKind.ConnectionFailed or ErrorKind.MalformedResponse;

    /// <summary>
    /// Records an attempt's outcome on <paramref name="deployment"/>: a success that took
    /// <paramref name="providerMs"/> of provider time for <paramref name="outputTokens"/>, or a
    /// failure; a failure that does not count (<see cref="CountsAgainstHealth"/>) is ignored.
    /// </summary>
    public void Record(DeploymentOptions deployment, ErrorKind error, double providerMs, int outputTokens)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        ArgumentException.ThrowIfNullOrEmpty(deployment.Id);
        var success = error == ErrorKind.None;
        if (!success && !CountsAgainstHealth(error))
        {
            return;
        }

        var seconds = success && double.IsFinite(providerMs) ? Math.Max(providerMs / 1000, MinSeconds) : 0;
        var tokens = success ? Math.Max(outputTokens, 1) : 0;
        lock (_gate)
        {
            if (!_byDeployment.TryGetValue(deployment.Id, out var track))
            {
                track = new Track(deployment.ModelGroup, _windowOf(deployment.ModelGroup), new RecentSamples<Outcome>(_maxSamples));
                _byDeployment.Add(deployment.Id, track);
            }

            track.Outcomes.Add(_timeProvider.GetTimestamp(), new Outcome(success, tokens, seconds));
        }
    }

    /// <summary>The current weight of <paramref name="deployment"/>.</summary>
    public AdaptiveWeight WeightOf(DeploymentOptions deployment)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        lock (_gate)
        {
            var now = _timeProvider.GetTimestamp();
            return Weigh(deployment, BestScore(deployment.ModelGroup, now), now);
        }
    }

    /// <summary>The current weight of every deployment of <paramref name="catalog"/> whose model group routes <c>weighted-adaptive</c>, in catalog order.</summary>
    public IReadOnlyList<KeyValuePair<string, AdaptiveWeight>> Current(CatalogOptions catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return [.. catalog.Deployments
            .Where(d => catalog.Group(d.ModelGroup).Strategy == StrategyNames.WeightedAdaptive)
            .Select(d => KeyValuePair.Create(d.Id, WeightOf(d)))];
    }

    /// <summary>The current weights of <paramref name="candidates"/> (of one model group) into <paramref name="weights"/>, position by position.</summary>
    public void Weigh(ReadOnlySpan<RoutingCandidate> candidates, Span<AdaptiveWeight> weights)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(weights.Length, candidates.Length, nameof(weights));
        lock (_gate)
        {
            var now = _timeProvider.GetTimestamp();
            string? group = null;
            var best = 0.0;
            for (var i = 0; i < candidates.Length; i++)
            {
                var deployment = candidates[i].Deployment;
                if (group is null || !string.Equals(group, deployment.ModelGroup, StringComparison.Ordinal))
                {
                    group = deployment.ModelGroup;
                    best = BestScore(group, now);
                }

                weights[i] = Weigh(deployment, best, now);
            }
        }
    }

    private AdaptiveWeight Weigh(DeploymentOptions deployment, double best, long now)
    {
        var prior = deployment.Weight > 0 && double.IsFinite(deployment.Weight) ? deployment.Weight : 0;
        if (!_byDeployment.TryGetValue(deployment.Id, out var track) || Tally(track, now) is not { } health)
        {
            return new AdaptiveWeight(prior, prior, null, null);
        }

        // With every measured deployment of the group failing, none is better than another.
        var relative = best > 0 ? health.Score / best : 0;
        return new AdaptiveWeight(prior * Math.Max(relative, Floor), prior, health.SuccessRate, health.TokensPerSecond);
    }

    private double BestScore(string modelGroup, long now)
    {
        var best = 0.0;
        foreach (var track in _byDeployment.Values)
        {
            if (string.Equals(track.ModelGroup, modelGroup, StringComparison.Ordinal) && Tally(track, now) is { } health)
            {
                best = Math.Max(best, health.Score);
            }
        }

        return best;
    }

    private Health? Tally(Track track, long now)
    {
        int successes = 0, failures = 0;
        double tokens = 0, seconds = 0;
        foreach (var outcome in track.Outcomes.Recent(_timeProvider, track.Window, now))
        {
            if (outcome.Success)
            {
                successes++;
                tokens += outcome.Tokens;
                seconds += outcome.Seconds;
            }
            else
            {
                failures++;
            }
        }

        var total = successes + failures;
        return total == 0 ? null : new Health((double)successes / total, successes > 0 ? tokens / seconds : null);
    }

    private readonly record struct Outcome(bool Success, int Tokens, double Seconds);

    private readonly record struct Health(double SuccessRate, double? TokensPerSecond)
    {
        // throughput ÷ (latency × (1 + error rate)): success rate × tokens per second ÷ (2 − success rate).
        public double Score => TokensPerSecond is { } speed ? SuccessRate * speed / (2 - SuccessRate) : 0;
    }

    /// <summary>A deployment's model group, the group's window and its last outcomes; guarded by the owner's lock.</summary>
    private sealed record Track(string ModelGroup, TimeSpan Window, RecentSamples<Outcome> Outcomes);
}
