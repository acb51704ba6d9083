namespace Dispatcher.Quotas;

/// <summary>
/// A token bucket with continuous refill. It smooths admissions so a deployment never receives
/// more than <see cref="Capacity"/> at once. Time is passed in as seconds on a monotonic clock
/// so the bucket is deterministic under test and immune to wall-clock jumps. Not thread-safe:
/// its owner serializes access.
/// </summary>
public sealed class TokenBucket
{
    private double _level;
    private double _updatedAt;

    /// <summary>Creates a full bucket.</summary>
    /// <param name="capacity">Most that can be taken at once.</param>
    /// <param name="ratePerSecond">Refill speed.</param>
    /// <param name="now">Current monotonic time in seconds.</param>
    public TokenBucket(double capacity, double ratePerSecond, double now)
    {
        if (capacity <= 0 || ratePerSecond <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), "capacity and rate must be positive");
        }

        Capacity = capacity;
        RatePerSecond = ratePerSecond;
        _level = capacity;
        _updatedAt = now;
    }

    /// <summary>Most that can be taken at once.</summary>
    public double Capacity { get; }

    /// <summary>Refill speed.</summary>
    public double RatePerSecond { get; }

    /// <summary>The level at <paramref name="now"/>; negative while a large take is being paid back.</summary>
    public double Level(double now)
    {
        Refill(now);
        return _level;
    }

    /// <summary>
    /// Takes <paramref name="amount"/> if the bucket holds it. An amount above the capacity is
    /// allowed from a full bucket and leaves it in debt, so no job is too large to ever run.
    /// </summary>
    public bool TryTake(double amount, double now)
    {
        Refill(now);
        if (_level < Math.Min(amount, Capacity))
        {
            return false;
        }

        _level -= amount;
        return true;
    }

    /// <summary>Seconds until <see cref="TryTake"/> of <paramref name="amount"/> can succeed.</summary>
    public double SecondsUntil(double amount, double now)
    {
        Refill(now);
        var missing = Math.Min(amount, Capacity) - _level;
        return missing <= 0 ? 0 : missing / RatePerSecond;
    }

    /// <summary>Gives back part of a take (a settle that came in under the estimate); never above capacity.</summary>
    public void Return(double amount, double now)
    {
        Refill(now);
        _level = Math.Min(Capacity, _level + amount);
    }

    /// <summary>Takes more after the fact (a settle that came in over the estimate); may leave debt.</summary>
    public void Charge(double amount, double now)
    {
        Refill(now);
        _level -= amount;
    }

    /// <summary>Lowers the level to at most <paramref name="level"/> (a provider said it has less left).</summary>
    public void LowerTo(double level, double now)
    {
        Refill(now);
        _level = Math.Min(_level, level);
    }

    /// <summary>Sets the level as restored from storage, refilled for the time that has passed since.</summary>
    public void Restore(double level, double secondsSince, double now)
    {
        _updatedAt = now;
        _level = Math.Min(Capacity, level + (Math.Max(0, secondsSince) * RatePerSecond));
    }

    private void Refill(double now)
    {
        if (now > _updatedAt)
        {
            _level = Math.Min(Capacity, _level + ((now - _updatedAt) * RatePerSecond));
            _updatedAt = now;
        }
    }
}
