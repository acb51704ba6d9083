using Dispatcher.Catalog.Limits;

namespace Dispatcher.Quotas;

/// <summary>
/// One limit of a deployment's quota: a token bucket (how much at once) under a sliding window
/// (how much per window), counting one <see cref="QuotaMeasure"/>. Not thread-safe: its owner,
/// <see cref="DeploymentQuota"/>, serializes access.
/// </summary>
internal sealed class QuotaDimension
{
    private readonly bool _cachedInputCounts;

    public QuotaDimension(QuotaMeasure measure, int limit, double burstFraction, double windowSeconds, bool cachedInputCounts, double now)
    {
        Measure = measure;
        Limit = limit;
        _cachedInputCounts = cachedInputCounts;
        Bucket = new TokenBucket(Math.Max(1, Math.Ceiling(limit * burstFraction)), limit / windowSeconds, now);
        Window = new SlidingWindow(limit, windowSeconds);
    }

    public QuotaMeasure Measure { get; }

    /// <summary>Most per window.</summary>
    public int Limit { get; }

    public TokenBucket Bucket { get; }

    public SlidingWindow Window { get; }

    /// <summary>How much of this dimension <paramref name="tokens"/> take.</summary>
    public int Amount(QuotaTokens tokens) => Measure switch
    {
        QuotaMeasure.Requests => 1,
        QuotaMeasure.Tokens => tokens.CountedTotal(_cachedInputCounts),
        QuotaMeasure.InputTokens => tokens.CountedInput(_cachedInputCounts),
        _ => tokens.Output,
    };

    public bool Fits(int amount, double now) => Bucket.SecondsUntil(amount, now) == 0 && Window.Fits(amount, now);

    public double SecondsUntil(int amount, double now) => Math.Max(Bucket.SecondsUntil(amount, now), Window.SecondsUntil(amount, now));

    /// <summary>What could go out now: the tighter of bucket and window.</summary>
    public double Available(double now) => Math.Max(0, Math.Min(Bucket.Level(now), Window.Limit - Window.Sum(now)));

    /// <summary>Remaining as a share of the limit (0..1), the tighter of bucket and window.</summary>
    public double Headroom(double now)
    {
        var inBucket = Math.Max(0, Bucket.Level(now)) / Bucket.Capacity;
        var inWindow = Math.Max(0, Window.Limit - Window.Sum(now)) / Window.Limit;
        return Math.Min(inBucket, inWindow);
    }

    /// <summary>Gives back what a call did not use of its reservation, or charges what it used beyond it.</summary>
    public void Correct(QuotaTokens reserved, QuotaTokens used, double now)
    {
        var difference = Amount(reserved) - Amount(used);
        if (difference > 0)
        {
            Bucket.Return(difference, now);
        }
        else if (difference < 0)
        {
            Bucket.Charge(-difference, now);
        }
    }

    public QuotaDimensionUsage Usage(double now) => new(Available(now), Window.Sum(now), Limit);
}
