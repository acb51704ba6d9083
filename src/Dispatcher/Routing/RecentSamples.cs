namespace Dispatcher.Routing;

/// <summary>
/// The last samples of one deployment (at most a fixed number), each stamped with the monotonic
/// timestamp it was taken at, of which only those within a time window are read: what the latency
/// tracker and the adaptive weights each keep per deployment. Not thread-safe; its owner locks.
/// </summary>
internal sealed class RecentSamples<T>(int capacity)
    where T : struct
{
    private readonly (long Timestamp, T Sample)[] _items = new (long, T)[capacity];
    private int _next;
    private int _count;

    /// <summary>Keeps <paramref name="sample"/>, taken at <paramref name="timestamp"/>, in place of the oldest once full.</summary>
    public void Add(long timestamp, T sample)
    {
        _items[_next] = (timestamp, sample);
        _next = (_next + 1) % _items.Length;
        _count = Math.Min(_count + 1, _items.Length);
    }

    /// <summary>The samples taken less than <paramref name="window"/> before <paramref name="now"/>.</summary>
    /// <remarks>
    /// Timestamps, not wall-clock time: the window must not stretch or shrink when the system
    /// clock is adjusted.
    /// </remarks>
    public Within Recent(TimeProvider time, TimeSpan window, long now) => new(this, time, window, now);

    /// <summary>An enumeration of the samples within a window, allocation-free.</summary>
    public struct Within(RecentSamples<T> owner, TimeProvider time, TimeSpan window, long now)
    {
        private int _index = -1;

        /// <summary>The sample at the enumeration's position.</summary>
        public readonly T Current => owner._items[_index].Sample;

        /// <summary>Moves to the next sample within the window.</summary>
        public bool MoveNext()
        {
            while (++_index < owner._count)
            {
                if (time.GetElapsedTime(owner._items[_index].Timestamp, now) < window)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The enumeration itself, for <c>foreach</c>.</summary>
        public readonly Within GetEnumerator() => this;
    }
}
