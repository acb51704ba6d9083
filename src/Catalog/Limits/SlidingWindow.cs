namespace Dispatcher.Catalog.Limits;

/// <summary>
/// The exact count of what the provider may be counting in its current window. A bucket alone
/// lets a window see its refill plus a full burst; this caps any window at the limit itself,
/// which is the rule providers enforce. Not thread-safe: its owner serializes access.
/// </summary>
/// <remarks>
/// <para>
/// A provider counts a call when it receives it, which is some time after the dispatcher
/// reserved it (the work item waits in the worker's queue), so the window counts a call from
/// when the provider received it rather than from its reservation:
/// </para>
/// <list type="bullet">
/// <item>An <b>open</b> entry (<see cref="Open"/>: reserved, outcome not yet known) counts
/// whatever its age. The call may not have reached the provider yet, so it may still be counted
/// there for a whole window from any moment on.</item>
/// <item>A <b>settled</b> entry (<see cref="Settle"/>, <see cref="Add"/>) counts for one window
/// from when the provider received the call, then leaves.</item>
/// </list>
/// <para>
/// Open entries are kept in reservation (sequence) order, settled ones in receipt order; both in
/// rings that only grow, so steady use allocates nothing.
/// </para>
/// </remarks>
public sealed class SlidingWindow
{
    private Ring<OpenEntry> _open = new(64);
    private Ring<SettledEntry> _settled = new(64);
    private int _openCount;
    private double _openSum;
    private double _settledSum;

    // No entry leaves before this: the routing path checks several windows per candidate, and
    // most of those checks then cost one comparison. Never later than the first real departure.
    private double _nextDeparture = double.PositiveInfinity;

    /// <summary>Creates an empty window.</summary>
    /// <param name="limit">Most a window may hold.</param>
    /// <param name="windowSeconds">The window's length in seconds.</param>
    public SlidingWindow(double limit, double windowSeconds)
    {
        Limit = limit;
        WindowSeconds = windowSeconds;
        // An attempt whose outcome never reaches this process (a lost outcome, an attempt
        // re-sent after a crash under a new reservation) must not hold capacity forever. A real
        // call is over within its timeout, but its work item may first wait in the broker for a
        // while (workers restarting, a backlog behind MaxParallel): ten minutes, or ten windows
        // for long windows, is far beyond any wait that still counts with the provider.
        OpenCapSeconds = OpenCapFor(windowSeconds);
    }

    /// <summary>Most a window may hold.</summary>
    public double Limit { get; }

    /// <summary>The window's length in seconds.</summary>
    public double WindowSeconds { get; }

    /// <summary>
    /// How long an open entry counts without being settled: an older one is taken as settled at
    /// its reservation, which is out of the window by then.
    /// </summary>
    public double OpenCapSeconds { get; }

    /// <summary>The <see cref="OpenCapSeconds"/> of a window <paramref name="windowSeconds"/> long.</summary>
    public static double OpenCapFor(double windowSeconds) => Math.Max(10 * windowSeconds, 600);

    /// <summary>Entries reserved and not yet settled (nor dropped as stale).</summary>
    public int OpenCount => _openCount;

    /// <summary>Entries reserved and not yet settled at <paramref name="now"/>, stale ones dropped.</summary>
    public int OpenCountAt(double now)
    {
        Evict(now);
        return _openCount;
    }

    /// <summary>What the current window holds, open entries included.</summary>
    public double Sum(double now)
    {
        Evict(now);
        return _openSum + _settledSum;
    }

    /// <summary>Whether <paramref name="amount"/> fits; an amount above the limit fits an empty window.</summary>
    public bool Fits(double amount, double now)
    {
        Evict(now);
        return _openSum + _settledSum + amount <= Limit || (_openCount == 0 && _settled.Count == 0 && amount > Limit);
    }

    /// <summary>
    /// Seconds until <paramref name="amount"/> fits as settled entries leave the window. When the
    /// open entries alone keep it from fitting, the window's length: capacity then comes back at
    /// a settle, which the caller hears of (<see cref="QuotaBook.Changed"/>), not at a time
    /// known now.
    /// </summary>
    public double SecondsUntil(double amount, double now)
    {
        Evict(now);
        if (amount > Limit)
        {
            // It fits only a window with nothing in it, entries of no amount (a failed call's
            // tokens) included: it waits for the last of them to leave.
            return _openCount > 0 ? WindowSeconds
                : _settled.Count == 0 ? 0
                : Math.Max(0, _settled[_settled.Count - 1].At + WindowSeconds - now);
        }

        var excess = _openSum + _settledSum + amount - Limit;
        if (excess <= 0)
        {
            return 0;
        }

        for (var i = 0; i < _settled.Count; i++)
        {
            ref var e = ref _settled[i];
            excess -= e.Amount;
            if (excess <= 0)
            {
                return Math.Max(0, e.At + WindowSeconds - now);
            }
        }

        return WindowSeconds;
    }

    /// <summary>
    /// Records a reservation: it counts from now until it is settled. Sequences must increase
    /// from one reservation to the next.
    /// </summary>
    public void Open(long sequence, double amount, double now) => Open(sequence, amount, now, now);

    /// <summary>
    /// Records a reservation made at <paramref name="reservedAt"/> (no later than now): one an
    /// earlier process made and had not settled, which this window now holds in its place. It
    /// counts until it is settled or <see cref="OpenCapSeconds"/> after <paramref name="reservedAt"/>.
    /// Sequences must increase from one reservation to the next (<see cref="CanOpen"/>).
    /// </summary>
    public void Open(long sequence, double amount, double reservedAt, double now)
    {
        Evict(now);
        if (!CanOpen(sequence))
        {
            throw new ArgumentOutOfRangeException(nameof(sequence), sequence, "reservation sequences must increase");
        }

        _open.PushBack(new OpenEntry(sequence, reservedAt, amount, Closed: false));
        _openCount++;
        _openSum += amount;
        _nextDeparture = Math.Min(_nextDeparture, reservedAt + OpenCapSeconds);
    }

    /// <summary>Whether <paramref name="sequence"/> is above every reservation the window still holds in order, so it may be opened.</summary>
    public bool CanOpen(long sequence) => _open.Count == 0 || _open[_open.Count - 1].Sequence < sequence;

    /// <summary>
    /// Settles the reservation <paramref name="sequence"/> at <paramref name="amount"/>: it counts
    /// from <paramref name="receivedAt"/> (taken no earlier than the reservation and no later than
    /// now) for one window. Returns false, changing nothing, for a sequence this window does not
    /// hold open: settled already, dropped as stale, or reserved by an earlier process.
    /// </summary>
    public bool Settle(long sequence, double amount, double receivedAt, double now)
    {
        Evict(now);
        var index = FindOpen(sequence);
        if (index < 0)
        {
            return false;
        }

        var at = Math.Min(Math.Max(receivedAt, _open[index].ReservedAt), now);
        Close(index);
        Insert(amount, at, now);
        return true;
    }

    /// <summary>
    /// Removes the reservation <paramref name="sequence"/> from the window, as if it had never
    /// been made: for a call that was never sent. Returns false for a sequence not held open.
    /// </summary>
    public bool Release(long sequence, double now)
    {
        Evict(now);
        var index = FindOpen(sequence);
        if (index < 0)
        {
            return false;
        }

        Close(index);
        return true;
    }

    /// <summary>Records <paramref name="amount"/> counted from <paramref name="at"/> for one window: a call the provider is known to have received then.</summary>
    public void Add(double amount, double at, double now)
    {
        Evict(now);
        Insert(amount, at, now);
    }

    // An entry closed in the middle stays in place, keeping the ring in sequence order, until
    // every entry before it has closed too.
    private void Close(int index)
    {
        ref var e = ref _open[index];
        _openSum -= e.Amount;
        _openCount--;
        e = e with { Closed = true };
        while (_open.Count > 0 && _open[0].Closed)
        {
            _open.PopFront();
        }

        if (_openCount == 0)
        {
            _openSum = 0; // no drift from floating-point sums
        }
    }

    // Settled entries are kept in receipt order so eviction from the head is exact. Outcomes
    // arrive roughly in that order, so the entry usually goes at the tail; otherwise the later
    // ones move up by one.
    private void Insert(double amount, double at, double now)
    {
        if (at + WindowSeconds <= now)
        {
            return; // already out of the window
        }

        _settled.PushBack(default);
        var i = _settled.Count - 1;
        while (i > 0 && _settled[i - 1].At > at)
        {
            _settled[i] = _settled[i - 1];
            i--;
        }

        _settled[i] = new SettledEntry(at, amount);
        _settledSum += amount;
        _nextDeparture = Math.Min(_nextDeparture, at + WindowSeconds);
    }

    // Open entries are in sequence order, closed ones included: binary search the ring.
    private int FindOpen(long sequence)
    {
        int lo = 0, hi = _open.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            ref var e = ref _open[mid];
            if (e.Sequence == sequence)
            {
                return e.Closed ? -1 : mid;
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

        return -1;
    }

    private void Evict(double now)
    {
        if (now < _nextDeparture)
        {
            return;
        }

        while (_settled.Count > 0 && _settled[0].At + WindowSeconds <= now)
        {
            _settledSum -= _settled[0].Amount;
            _settled.PopFront();
        }

        if (_settled.Count == 0)
        {
            _settledSum = 0; // no drift from floating-point sums
        }

        // A stale open entry is taken as settled at its reservation: as the cap is longer than
        // the window, that is out of the window already, so it simply leaves. The head is never
        // a closed entry (Close trims them).
        while (_open.Count > 0 && _open[0].ReservedAt + OpenCapSeconds <= now)
        {
            Close(0);
        }

        _nextDeparture = Math.Min(
            _settled.Count > 0 ? _settled[0].At + WindowSeconds : double.PositiveInfinity,
            _open.Count > 0 ? _open[0].ReservedAt + OpenCapSeconds : double.PositiveInfinity);
    }

    private record struct OpenEntry(long Sequence, double ReservedAt, double Amount, bool Closed);

    private record struct SettledEntry(double At, double Amount);

    /// <summary>A growable ring buffer indexed from its head; its capacity is a power of two, so an index wraps with a mask.</summary>
    private struct Ring<T>(int capacity)
        where T : struct
    {
        private T[] _items = new T[capacity];
        private int _head;

        public int Count { get; private set; }

        public readonly ref T this[int index] => ref _items[(_head + index) & (_items.Length - 1)];

        public void PushBack(T item)
        {
            if (Count == _items.Length)
            {
                var grown = new T[_items.Length * 2];
                for (var i = 0; i < Count; i++)
                {
                    grown[i] = this[i];
                }

                _items = grown;
                _head = 0;
            }

            this[Count] = item;
            Count++;
        }

        public void PopFront()
        {
            _head = (_head + 1) & (_items.Length - 1);
            Count--;
        }
    }
}
