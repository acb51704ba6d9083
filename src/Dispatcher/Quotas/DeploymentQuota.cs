using Dispatcher.Catalog;
using Dispatcher.Catalog.Limits;
using Dispatcher.Contracts;

namespace Dispatcher.Quotas;

/// <summary>
/// One deployment's quota: an RPM and a TPM dimension, each a token bucket (how much at once)
/// under a sliding window (how much per window), plus a pause a provider's Retry-After imposes,
/// with its reason and the jobs held for a retry after it.
/// Not thread-safe: <see cref="QuotaBook"/> serializes access.
/// </summary>
public sealed class DeploymentQuota
{
    private readonly TokenBucket _requestBucket;
    private readonly TokenBucket _tokenBucket;
    private readonly SlidingWindow _requests;
    private readonly SlidingWindow _tokens;
    // When each job held for a retry after this deployment's Retry-After is sent back to routing.
    private readonly PriorityQueue<double, double> _retryWakes = new();
    private double _pausedUntil;
    private string? _pauseReason;

    /// <summary>Creates a quota with full buckets and empty windows.</summary>
    public DeploymentQuota(int rpm, int tpm, double burstFraction, double windowSeconds, double now)
    {
        var window = windowSeconds;
        _requestBucket = new TokenBucket(Math.Max(1, Math.Ceiling(rpm * burstFraction)), rpm / window, now);
        _tokenBucket = new TokenBucket(Math.Max(1, Math.Ceiling(tpm * burstFraction)), tpm / window, now);
        _requests = new SlidingWindow(rpm, window);
        _tokens = new SlidingWindow(tpm, window);
        Rpm = rpm;
        Tpm = tpm;
    }

    /// <summary>Requests per window.</summary>
    public int Rpm { get; }

    /// <summary>Tokens per window.</summary>
    public int Tpm { get; }

    /// <summary>Attempts reserved and not yet settled (an attempt unsettled for too long is no longer counted).</summary>
    public int InFlight => _requests.OpenCount;

    /// <summary>Seconds until a job of <paramref name="tokens"/> fits every limit; 0 when it fits now.</summary>
    public double SecondsUntilAffordable(int tokens, double now) =>
        Math.Max(
            Math.Max(_pausedUntil - now, 0),
            Math.Max(
                Math.Max(_requestBucket.SecondsUntil(1, now), _requests.SecondsUntil(1, now)),
                Math.Max(_tokenBucket.SecondsUntil(tokens, now), _tokens.SecondsUntil(tokens, now))));

    /// <summary>Whether a job of <paramref name="tokens"/> fits every limit now.</summary>
    public bool CanAfford(int tokens, double now) =>
        now >= _pausedUntil
        && _requestBucket.SecondsUntil(1, now) == 0 && _requests.Fits(1, now)
        && _tokenBucket.SecondsUntil(tokens, now) == 0 && _tokens.Fits(tokens, now);

    /// <summary>
    /// Takes one request and <paramref name="tokens"/>; call only after <see cref="CanAfford"/>.
    /// The attempt counts in both windows until it is settled, however long that takes.
    /// </summary>
    /// <param name="sequence">The reservation's sequence; each larger than the last.</param>
    /// <param name="tokens">The tokens reserved: the prompt estimate plus max_tokens.</param>
    /// <param name="now">Seconds on the quota book's clock.</param>
    public void Reserve(long sequence, int tokens, double now)
    {
        _requestBucket.TryTake(1, now);
        _tokenBucket.TryTake(tokens, now);
        _requests.Open(sequence, 1, now);
        _tokens.Open(sequence, tokens, now);
    }

    /// <summary>
    /// Settles a reservation against what the call really used: the difference is given back, or
    /// charged when the call used more than reserved. A failed call settles with 0 tokens. In the
    /// windows the attempt then counts for one window from when the provider received it, taken
    /// as <paramref name="sinceReceived"/> before now: the outcome travelled for a while after
    /// the call ended, so this is a little later than the provider received it, which keeps the
    /// call in our window at least as long as in the provider's.
    /// </summary>
    /// <param name="sequence">
    /// The reservation's sequence. One this quota does not hold open (past its open cap, or an
    /// earlier process's) is counted in the windows from <paramref name="sinceReceived"/> as a new
    /// entry; 0, a reservation the ledger did not record, changes only the bucket.
    /// </param>
    /// <param name="reservedTokens">The tokens reserved for the attempt.</param>
    /// <param name="actualTokens">The tokens the call used; 0 when it failed.</param>
    /// <param name="sinceReceived">How long before the worker had the outcome the provider received the call.</param>
    /// <param name="now">Seconds on the quota book's clock.</param>
    public void Settle(long sequence, int reservedTokens, int actualTokens, TimeSpan sinceReceived, double now)
    {
        var difference = reservedTokens - actualTokens;
        if (difference > 0)
        {
            _tokenBucket.Return(difference, now);
        }
        else if (difference < 0)
        {
            _tokenBucket.Charge(-difference, now);
        }

        // Zero or negative: the call counts from now.
        var seconds = sinceReceived.TotalSeconds;
        var receivedAt = seconds > 0 ? now - seconds : now;
        if (_requests.Settle(sequence, 1, receivedAt, now))
        {
            _tokens.Settle(sequence, actualTokens, receivedAt, now);
        }
        else if (sequence != 0)
        {
            // Not held open: dropped after its open cap while the call was still on its way (its
            // work item waited that long), or reserved by an earlier process that the seed did
            // not hold open. The provider counts the call from when it received it all the same.
            // Sequence 0 is an attempt the ledger kept no reservation for: the seed counted it.
            _requests.Add(1, receivedAt, now);
            _tokens.Add(actualTokens, receivedAt, now);
        }
    }

    /// <summary>
    /// Undoes a reservation whose call was never sent: the request and the tokens go back to the
    /// buckets and the attempt leaves both windows, as the provider never counts it.
    /// </summary>
    public void Release(long sequence, int reservedTokens, double now)
    {
        if (_requests.Release(sequence, now))
        {
            _tokens.Release(sequence, now);
            _requestBucket.Return(1, now);
            _tokenBucket.Return(reservedTokens, now);
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
        if (limits?.RemainingRequests is { } requests)
        {
            _requestBucket.LowerTo(requests, now);
        }

        if (limits?.RemainingTokens is { } tokens)
        {
            _tokenBucket.LowerTo(tokens, now);
        }

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

    /// <summary>Remaining requests as a share of the limit (0..1), the tighter of bucket and window.</summary>
    public double RequestHeadroom(double now) => Headroom(_requestBucket, _requests, now);

    /// <summary>Remaining tokens as a share of the limit (0..1), the tighter of bucket and window.</summary>
    public double TokenHeadroom(double now) => Headroom(_tokenBucket, _tokens, now);

    /// <summary>What the deployment could take now and what its windows admitted, for monitoring.</summary>
    public QuotaUsage Usage(string deploymentId, double now)
    {
        var requestsInWindow = _requests.Sum(now);
        var tokensInWindow = _tokens.Sum(now);
        return new QuotaUsage(
            deploymentId,
            Math.Max(0, Math.Min(_requestBucket.Level(now), _requests.Limit - requestsInWindow)),
            requestsInWindow,
            Rpm,
            Math.Max(0, Math.Min(_tokenBucket.Level(now), _tokens.Limit - tokensInWindow)),
            tokensInWindow,
            Tpm,
            InFlight,
            PausedForSeconds(now));
    }

    /// <summary>The bucket levels, for persistence.</summary>
    public (double Requests, double Tokens) Levels(double now) => (_requestBucket.Level(now), _tokenBucket.Level(now));

    /// <summary>
    /// Counts in the windows an attempt sent before a restart as a settled call the provider
    /// received <paramref name="secondsSinceReceived"/> ago (negative: a moment from now).
    /// </summary>
    public void Seed(int tokens, double secondsSinceReceived, double now)
    {
        _requests.Add(1, now - secondsSinceReceived, now);
        _tokens.Add(tokens, now - secondsSinceReceived, now);
    }

    /// <summary>
    /// Holds in the windows, under its <paramref name="sequence"/>, an attempt an earlier process
    /// sent <paramref name="secondsSinceReserved"/> ago and whose outcome it never had: it counts
    /// as the earlier process counted it, until its outcome settles it here (the token bucket
    /// took it already, in the levels restored). Returns false, changing nothing, when the windows
    /// hold a reservation of a later sequence already.
    /// </summary>
    public bool SeedOpen(long sequence, int tokens, double secondsSinceReserved, double now)
    {
        if (!_requests.CanOpen(sequence) || !_tokens.CanOpen(sequence))
        {
            return false;
        }

        _requests.Open(sequence, 1, now - secondsSinceReserved, now);
        _tokens.Open(sequence, tokens, now - secondsSinceReserved, now);
        return true;
    }

    /// <summary>
    /// Counts in the windows an attempt whose outcome an earlier process recorded, as that process
    /// counted it when it settled the attempt: <paramref name="tokens"/> from when the provider
    /// received the call, <paramref name="secondsSinceReceived"/> ago. One the windows hold open
    /// under <paramref name="sequence"/> (seeded while it was still under way) is settled so.
    /// </summary>
    public void SeedSettled(long sequence, int tokens, double secondsSinceReceived, double now)
    {
        var receivedAt = now - secondsSinceReceived;
        if (_requests.Settle(sequence, 1, receivedAt, now))
        {
            _tokens.Settle(sequence, tokens, receivedAt, now);
            return;
        }

        _requests.Add(1, receivedAt, now);
        _tokens.Add(tokens, receivedAt, now);
    }

    /// <summary>Restores bucket levels saved <paramref name="secondsSince"/> ago.</summary>
    public void Restore(double requests, double tokens, double secondsSince, double now)
    {
        _requestBucket.Restore(requests, secondsSince, now);
        _tokenBucket.Restore(tokens, secondsSince, now);
    }

    private static double Headroom(TokenBucket bucket, SlidingWindow window, double now)
    {
        var inBucket = Math.Max(0, bucket.Level(now)) / bucket.Capacity;
        var inWindow = Math.Max(0, window.Limit - window.Sum(now)) / window.Limit;
        return Math.Min(inBucket, inWindow);
    }
}
