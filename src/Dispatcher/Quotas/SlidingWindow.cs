namespace Dispatcher.Quotas;

/// <summary>
/// The exact count of what was admitted during the last window. A bucket alone lets a window
/// see its refill plus a full burst; this caps any window at the limit itself, which is the
/// rule providers enforce. Entries keep a sequence number so a settle can correct its own
/// entry while it is still inside the window. Not thread-safe: its owner serializes access.
/// </summary>
public sealed class SlidingWindow(double limit, double windowSeconds)
{
    private Entry[] _entries = new Entry[64];
    private int _head;
    private int _count;
    private double _sum;

    /// <summary>Most a window may hold.</summary>
    public double Limit { get; } = limit;

    /// <summary>The window's length in seconds.</summary>
    public double WindowSeconds { get; } = windowSeconds;

    /// <summary>What the current window holds.</summary>
    public double Sum(double now)
    {
        Evict(now);
        return _sum;
    }

    /// <summary>Whether <paramref name="amount"/> fits; an amount above the limit fits an empty window.</summary>
    public bool Fits(double amount, double now)
    {
        Evict(now);
        return _sum + amount <= Limit || (_count == 0 && amount > Limit);
    }

    /// <summary>Seconds until <paramref name="amount"/> fits, as old entries leave the window.</summary>
    public double SecondsUntil(double amount, double now)
    {
        Evict(now);
        var excess = _sum + Math.Min(amount, Limit) - Limit;
        if (excess <= 0)
        {
            return 0;
        }

        for (var i = 0; i < _count; i++)
        {
            ref var e = ref _entries[(_head + i) % _entries.Length];
            excess -= e.Amount;
            if (excess <= 0)
            {
                return Math.Max(0, e.At + WindowSeconds - now);
            }
        }

        return WindowSeconds;
    }

    /// <summary>Records an admission.</summary>
    public void Add(long sequence, double amount, double now)
    {
        Evict(now);
        if (_count == _entries.Length)
        {
            var grown = new Entry[_entries.Length * 2];
            for (var i = 0; i < _count; i++)
            {
                grown[i] = _entries[(_head + i) % _entries.Length];
            }

            _entries = grown;
            _head = 0;
        }

        _entries[(_head + _count) % _entries.Length] = new Entry(sequence, now, amount);
        _count++;
        _sum += amount;
    }

    /// <summary>Changes an admission still in the window to <paramref name="amount"/> (its settled size).</summary>
    public void Adjust(long sequence, double amount, double now)
    {
        Evict(now);
        // Entries are in sequence order: binary search the ring.
        int lo = 0, hi = _count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            ref var e = ref _entries[(_head + mid) % _entries.Length];
            if (e.Sequence == sequence)
            {
                _sum += amount - e.Amount;
                e = e with { Amount = amount };
                return;
            }

            if (e.Sequence < sequence)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
    }

    private void Evict(double now)
    {
        while (_count > 0)
        {
            ref var e = ref _entries[_head];
            if (e.At + WindowSeconds > now)
            {
                break;
            }

            _sum -= e.Amount;
            _head = (_head + 1) % _entries.Length;
            _count--;
        }

        if (_count == 0)
        {
            _sum = 0; // no drift from floating-point sums
        }
    }

    private record struct Entry(long Sequence, double At, double Amount);
}
