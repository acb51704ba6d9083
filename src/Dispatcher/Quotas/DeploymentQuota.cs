using Dispatcher.Catalog;
using Dispatcher.Catalog.Limits;
using Dispatcher.Contracts;

namespace Dispatcher.Quotas;

/// <summary>
/// One deployment's quota, in the dimensions its limit model keeps (<see cref="LimitModel"/>):
/// requests, tokens, input tokens and output tokens per window, each a token bucket (how much at
/// once) under a sliding window (how much per window), and the attempts in flight, bounded by
/// <see cref="DeploymentOptions.MaxConcurrent"/> when it is set; plus a pause a provider's
/// Retry-After imposes, with its reason and the jobs held for a retry after it.
/// Not thread-safe: <see cref="QuotaBook"/> serializes access.
/// </summary>
/// <remarks>
/// An attempt reserves its prompt estimate as input and its <c>max_tokens</c> as output, and
/// settles at the tokens it used: the input a limit counts leaves out prompt tokens read from the
/// cache when the deployment says the provider does not count them (Anthropic's model, most
/// models); the output is the completion tokens.
/// </remarks>
public sealed class DeploymentQuota
{
    private readonly QuotaDimension? _requests;
    private readonly QuotaDimension? _tokens;
    private readonly QuotaDimension? _input;
    private readonly QuotaDimension? _output;
    private readonly QuotaDimension[] _dimensions;

    // Every attempt reserved and not yet settled, whatever the dimensions: what is in flight, and
    // which sequences the dimensions' windows hold open (all of them hold the same ones).
    private readonly SlidingWindow _calls;
    private readonly int? _maxConcurrent;

    // When each job held for a retry after this deployment's Retry-After is sent back to routing.
    private readonly PriorityQueue<double, double> _retryWakes = new();
    private double _pausedUntil;
    private string? _pauseReason;

    /// <summary>Creates a quota of the OpenAI model (RPM and TPM) with full buckets and empty windows.</summary>
    public DeploymentQuota(int rpm, int tpm, double burstFraction, double windowSeconds, double now)
        : this(new DeploymentOptions { Rpm = rpm, Tpm = tpm, BurstFraction = burstFraction, LimitModel = LimitModel.OpenAI }, windowSeconds, now)
    {
    }

    /// <summary>Creates the quota <paramref name="deployment"/>'s limit model keeps, with full buckets and empty windows.</summary>
    public DeploymentQuota(DeploymentOptions deployment, double windowSeconds, double now)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        var cachedCounts = deployment.CachedInputCounts;
        QuotaDimension? Dimension(QuotaMeasure measure, int? limit) =>
            limit is { } l ? new QuotaDimension(measure, l, deployment.BurstFraction, windowSeconds, cachedCounts, now) : null;

        _requests = Dimension(QuotaMeasure.Requests, deployment.RequestsPerMinute);
        _tokens = Dimension(QuotaMeasure.Tokens, deployment.TokensPerMinute);
        if (deployment.EffectiveLimitModel == LimitModel.Anthropic)
        {
            _input = Dimension(QuotaMeasure.InputTokens, deployment.InputTpm);
            _output = Dimension(QuotaMeasure.OutputTokens, deployment.OutputTpm);
        }

        _dimensions = new[] { _requests, _tokens, _input, _output }.OfType<QuotaDimension>().ToArray();
        _calls = new SlidingWindow(double.PositiveInfinity, windowSeconds);
        _maxConcurrent = deployment.MaxConcurrent;
        Model = deployment.EffectiveLimitModel;
    }

    /// <summary>The limit model the quota follows.</summary>
    public LimitModel Model { get; }

    /// <summary>Requests per window; null when the deployment keeps no request limit.</summary>
    public int? Rpm => _requests?.Limit;

    /// <summary>Input plus output tokens per window; null when the deployment keeps no combined token limit.</summary>
    public int? Tpm => _tokens?.Limit;

    /// <summary>Input tokens per window (Anthropic model); null otherwise.</summary>
    public int? InputTpm => _input?.Limit;

    /// <summary>Output tokens per window (Anthropic model); null otherwise.</summary>
    public int? OutputTpm => _output?.Limit;

    /// <summary>Most attempts in flight at once; null for no such bound.</summary>
    public int? MaxConcurrent => _maxConcurrent;

    /// <summary>Attempts reserved and not yet settled (an attempt unsettled for too long is no longer counted).</summary>
    public int InFlight => _calls.OpenCount;

    /// <summary>Seconds until a job of <paramref name="tokens"/> fits every limit; 0 when it fits now.</summary>
    /// <remarks>
    /// While the attempts in flight fill <see cref="MaxConcurrent"/>, room comes back at a settle,
    /// which the caller hears of (<see cref="QuotaBook.Changed"/>), not at a time known now: the
    /// window's length stands for it, as a window full of open entries does.
    /// </remarks>
    public double SecondsUntilAffordable(QuotaTokens tokens, double now)
    {
        var wait = Math.Max(_pausedUntil - now, 0);
        if (!ConcurrencyFits(now))
        {
            wait = Math.Max(wait, _calls.WindowSeconds);
        }

        foreach (var dimension in _dimensions)
        {
            wait = Math.Max(wait, dimension.SecondsUntil(dimension.Amount(tokens), now));
        }

        return wait;
    }

    /// <summary>Whether a job of <paramref name="tokens"/> fits every limit now.</summary>
    public bool CanAfford(QuotaTokens tokens, double now)
    {
        if (now < _pausedUntil || !ConcurrencyFits(now))
        {
            return false;
        }

        foreach (var dimension in _dimensions)
        {
            if (!dimension.Fits(dimension.Amount(tokens), now))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Takes one request and <paramref name="tokens"/>; call only after <see cref="CanAfford"/>.
    /// The attempt counts in every window until it is settled, however long that takes.
    /// </summary>
    /// <param name="sequence">The reservation's sequence; each larger than the last.</param>
    /// <param name="tokens">The tokens reserved: the prompt estimate as input, max_tokens as output.</param>
    /// <param name="now">Seconds on the quota book's clock.</param>
    public void Reserve(long sequence, QuotaTokens tokens, double now)
    {
        _calls.Open(sequence, 0, now);
        foreach (var dimension in _dimensions)
        {
            var amount = dimension.Amount(tokens);
            dimension.Bucket.TryTake(amount, now);
            dimension.Window.Open(sequence, amount, now);
        }
    }

    /// <summary>
    /// Settles a reservation against what the call really used: the difference is given back, or
    /// charged when the call used more than reserved, in each dimension as it counts tokens. A
    /// failed call settles with no tokens. In the windows the attempt then counts for one window
    /// from when the provider received it, taken as <paramref name="sinceReceived"/> before now:
    /// the outcome travelled for a while after the call ended, so this is a little later than the
    /// provider received it, which keeps the call in our window at least as long as in the provider's.
    /// </summary>
    /// <param name="sequence">
    /// The reservation's sequence. One this quota does not hold open (past its open cap, or an
    /// earlier process's) is counted in the windows from <paramref name="sinceReceived"/> as a new
    /// entry; 0, a reservation the ledger did not record, changes only the buckets.
    /// </param>
    /// <param name="reservedTokens">The tokens reserved for the attempt.</param>
    /// <param name="actualTokens">The tokens the call used; none when it failed.</param>
    /// <param name="sinceReceived">How long before the worker had the outcome the provider received the call.</param>
    /// <param name="now">Seconds on the quota book's clock.</param>
    public void Settle(long sequence, QuotaTokens reservedTokens, QuotaTokens actualTokens, TimeSpan sinceReceived, double now)
    {
        var used = actualTokens;
        foreach (var dimension in _dimensions)
        {
            dimension.Correct(reservedTokens, used, now);
        }

        // Zero or negative: the call counts from now.
        var seconds = sinceReceived.TotalSeconds;
        var receivedAt = seconds > 0 ? now - seconds : now;
        if (_calls.Release(sequence, now))
        {
            foreach (var dimension in _dimensions)
            {
                dimension.Window.Settle(sequence, dimension.Amount(used), receivedAt, now);
            }
        }
        else if (sequence != 0)
        {
            // Not held open: dropped after its open cap while the call was still on its way (its
            // work item waited that long), or reserved by an earlier process that the seed did
            // not hold open. The provider counts the call from when it received it all the same.
            // Sequence 0 is an attempt the ledger kept no reservation for: the seed counted it.
            Add(used, receivedAt, now);
        }
    }

    /// <summary>
    /// Undoes a reservation whose call was never sent: the request and the tokens go back to the
    /// buckets and the attempt leaves every window, as the provider never counts it.
    /// </summary>
    public void Release(long sequence, QuotaTokens reserved, double now)
    {
        if (!_calls.Release(sequence, now))
        {
            return;
        }

        foreach (var dimension in _dimensions)
        {
            dimension.Window.Release(sequence, now);
            dimension.Bucket.Return(dimension.Amount(reserved), now);
        }
    }

    /// <summary>
    /// Applies what the provider said about its own counters: never raises our view, only lowers it.
    /// A Retry-After pauses the deployment for at most <see cref="RetryPolicyOptions.MaxRetryAfterSeconds"/>:
    /// an outcome need not come from our workers, and a pause of centuries would take the
    /// deployment out of service for good.
    /// </summary>
    /// <param name="limits">The provider's remaining counters, when it sent them.</param>
    /// <param name="retryAfter">How long the provider asked us to wait, when it did.</param>
    /// <param name="now">Seconds on the quota book's clock.</param>
    /// <param name="statusCode">The provider's HTTP status with the Retry-After, which the pause's reason names.</param>
    public void Correct(RateLimitSnapshot? limits, TimeSpan? retryAfter, double now, int? statusCode = null)
    {
        LowerTo(_requests, limits?.RemainingRequests, now);
        LowerTo(_tokens, limits?.RemainingTokens, now);
        LowerTo(_input, limits?.RemainingInputTokens, now);
        LowerTo(_output, limits?.RemainingOutputTokens, now);

        if (retryAfter is { } wait && wait > TimeSpan.Zero)
        {
            var seconds = Math.Min(wait.TotalSeconds, RetryPolicyOptions.MaxRetryAfterSeconds);
            Pause(seconds, PauseReason(statusCode, TimeSpan.FromSeconds(seconds)), now);
        }
    }

    /// <summary>
    /// Pauses the deployment for <paramref name="seconds"/> from <paramref name="now"/>, unless it is
    /// paused longer already; the reason is the one of the pause that ends last.
    /// </summary>
    public void Pause(double seconds, string? reason, double now)
    {
        if (now + seconds > _pausedUntil)
        {
            _pausedUntil = now + seconds;
            _pauseReason = reason;
        }
    }

    /// <summary>Seconds until the provider's pause ends; 0 when the deployment is not paused.</summary>
    public double PausedForSeconds(double now) => Math.Max(0, _pausedUntil - now);

    /// <summary>Why the deployment is paused (e.g. <c>429 Retry-After 30 s</c>); null when it is not.</summary>
    public string? PauseReasonAt(double now) => now < _pausedUntil ? _pauseReason : null;

    /// <summary>
    /// Notes a job held for a retry after this deployment's Retry-After, sent back to routing at
    /// <paramref name="wakeAt"/>; it counts in <see cref="RetriesWaiting"/> until then.
    /// </summary>
    public void NoteRetryWaiting(double wakeAt, double now)
    {
        Prune(now);
        if (wakeAt > now)
        {
            _retryWakes.Enqueue(wakeAt, wakeAt);
        }
    }

    /// <summary>Jobs held for a retry after this deployment's Retry-After whose delay is not over.</summary>
    public int RetriesWaiting(double now)
    {
        Prune(now);
        return _retryWakes.Count;
    }

    /// <summary>How a pause's reason reads: the status and the wait, e.g. <c>429 Retry-After 30 s</c>.</summary>
    public static string PauseReason(int? statusCode, TimeSpan wait)
    {
        var seconds = wait.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
        return statusCode is { } code ? $"{code} Retry-After {seconds} s" : $"Retry-After {seconds} s";
    }

    private void Prune(double now)
    {
        while (_retryWakes.TryPeek(out _, out var wakeAt) && wakeAt <= now)
        {
            _retryWakes.Dequeue();
        }
    }

    /// <summary>Remaining requests as a share of the limit (0..1), the tighter of bucket and window; 1 with no request limit.</summary>
    public double RequestHeadroom(double now) => _requests?.Headroom(now) ?? 1;

    /// <summary>Remaining tokens as a share of the limit (0..1), the tightest of the token dimensions; 1 with none.</summary>
    public double TokenHeadroom(double now)
    {
        var headroom = 1.0;
        foreach (var dimension in _dimensions)
        {
            if (dimension.Measure != QuotaMeasure.Requests)
            {
                headroom = Math.Min(headroom, dimension.Headroom(now));
            }
        }

        return headroom;
    }

    /// <summary>What the deployment could take now and what its windows admitted, for monitoring.</summary>
    public QuotaUsage Usage(string deploymentId, double now)
    {
        var requests = _requests?.Usage(now);
        var tokens = _tokens?.Usage(now);
        return new QuotaUsage(
            deploymentId,
            requests?.Available ?? 0,
            requests?.InWindow ?? 0,
            requests?.Limit,
            tokens?.Available ?? 0,
            tokens?.InWindow ?? 0,
            tokens?.Limit,
            _calls.OpenCountAt(now),
            PausedForSeconds(now),
            _input?.Usage(now),
            _output?.Usage(now),
            _maxConcurrent);
    }

    /// <summary>The bucket levels, for persistence: 0 for a dimension the deployment does not keep, null for input and output when it keeps none.</summary>
    public QuotaBucketLevels Levels(double now) => new(
        _requests?.Bucket.Level(now) ?? 0,
        _tokens?.Bucket.Level(now) ?? 0,
        _input?.Bucket.Level(now),
        _output?.Bucket.Level(now));

    /// <summary>
    /// Counts in the windows an attempt sent before a restart as a settled call the provider
    /// received <paramref name="secondsSinceReceived"/> ago (negative: a moment from now).
    /// </summary>
    public void Seed(QuotaTokens tokens, double secondsSinceReceived, double now) => Add(tokens, now - secondsSinceReceived, now);

    /// <summary>
    /// Holds in the windows, under its <paramref name="sequence"/>, an attempt an earlier process
    /// sent <paramref name="secondsSinceReserved"/> ago and whose outcome it never had: it counts
    /// as the earlier process counted it, in flight too, until its outcome settles it here (the
    /// buckets took it already, in the levels restored). Returns false, changing nothing, when the
    /// windows hold a reservation of a later sequence already.
    /// </summary>
    public bool SeedOpen(long sequence, QuotaTokens tokens, double secondsSinceReserved, double now)
    {
        if (!_calls.CanOpen(sequence) || _dimensions.Any(d => !d.Window.CanOpen(sequence)))
        {
            return false;
        }

        var reservedAt = now - secondsSinceReserved;
        _calls.Open(sequence, 0, reservedAt, now);
        foreach (var dimension in _dimensions)
        {
            dimension.Window.Open(sequence, dimension.Amount(tokens), reservedAt, now);
        }

        return true;
    }

    /// <summary>
    /// Counts in the windows an attempt whose outcome an earlier process recorded, as that process
    /// counted it when it settled the attempt: <paramref name="tokens"/> from when the provider
    /// received the call, <paramref name="secondsSinceReceived"/> ago. One the windows hold open
    /// under <paramref name="sequence"/> (seeded while it was still under way) is settled so.
    /// </summary>
    public void SeedSettled(long sequence, QuotaTokens tokens, double secondsSinceReceived, double now)
    {
        var receivedAt = now - secondsSinceReceived;
        if (_calls.Release(sequence, now))
        {
            foreach (var dimension in _dimensions)
            {
                dimension.Window.Settle(sequence, dimension.Amount(tokens), receivedAt, now);
            }

            return;
        }

        Add(tokens, receivedAt, now);
    }

    /// <summary>Restores bucket levels saved <paramref name="secondsSince"/> ago; a level not saved (null) leaves its bucket as it is.</summary>
    public void Restore(QuotaBucketLevels levels, double secondsSince, double now)
    {
        _requests?.Bucket.Restore(levels.Requests, secondsSince, now);
        _tokens?.Bucket.Restore(levels.Tokens, secondsSince, now);
        if (levels.InputTokens is { } input)
        {
            _input?.Bucket.Restore(input, secondsSince, now);
        }

        if (levels.OutputTokens is { } output)
        {
            _output?.Bucket.Restore(output, secondsSince, now);
        }
    }

    private bool ConcurrencyFits(double now) => _maxConcurrent is not { } max || _calls.OpenCountAt(now) < max;

    private void Add(QuotaTokens tokens, double receivedAt, double now)
    {
        foreach (var dimension in _dimensions)
        {
            dimension.Window.Add(dimension.Amount(tokens), receivedAt, now);
        }
    }

    private static void LowerTo(QuotaDimension? dimension, int? remaining, double now)
    {
        if (dimension is not null && remaining is { } level)
        {
            dimension.Bucket.LowerTo(level, now);
        }
    }
}
