using Dispatcher.Consumers;
using Dispatcher.Contracts;
using Microsoft.Extensions.Options;

namespace Dispatcher.Dispatching;

/// <summary>
/// Which dispatch lane a tenant's batch waits in: the lane with the fewest batches when the batch
/// is first seen, then the same lane for as long as the batch keeps sending jobs there. A small
/// batch arriving behind a large one so gets a lane of its own (while there are more lanes than
/// batches waiting), and its jobs reach the dispatch gate without the large one's backlog ahead.
/// </summary>
public sealed class DispatchLanes(IOptions<IntakeOptions> options, TimeProvider time)
{
    // A batch that has sent nothing to its lane for this long lets the lane go.
    private static readonly TimeSpan Forget = TimeSpan.FromMinutes(10);

    private readonly Lock _lock = new();
    private readonly Dictionary<(string Tenant, string Batch), (int Lane, DateTimeOffset Used)> _assigned = [];
    private readonly int[] _batches = new int[options.Value.Lanes];
    private DateTimeOffset _forgotAt = DateTimeOffset.MinValue;

    /// <summary>How many lanes there are.</summary>
    public int Count => _batches.Length;

    /// <summary>The lane for a job of <paramref name="tenant"/> and <paramref name="batchId"/>.</summary>
    public int LaneOf(string? tenant, string? batchId)
    {
        var key = (tenant ?? "", batchId ?? "");
        var now = time.GetUtcNow();
        lock (_lock)
        {
            ForgetIdle(now);
            if (_assigned.TryGetValue(key, out var assigned))
            {
                _assigned[key] = (assigned.Lane, now);
                return assigned.Lane;
            }

            var lane = 0;
            for (var i = 1; i < _batches.Length; i++)
            {
                if (_batches[i] < _batches[lane])
                {
                    lane = i;
                }
            }

            _batches[lane]++;
            _assigned[key] = (lane, now);
            return lane;
        }
    }

    /// <summary>
    /// Notes that a job of <paramref name="tenant"/> and <paramref name="batchId"/> came off
    /// <paramref name="lane"/>: its batch keeps the lane while its backlog drains (and holds it
    /// again after a restart, so later jobs of the batch join the same lane).
    /// </summary>
    public void Touch(string? tenant, string? batchId, int lane)
    {
        if (lane < 0 || lane >= _batches.Length)
        {
            return;
        }

        var key = (tenant ?? "", batchId ?? "");
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (_assigned.TryGetValue(key, out var assigned))
            {
                _batches[assigned.Lane]--;
            }

            _batches[lane]++;
            _assigned[key] = (lane, now);
        }
    }

    /// <summary>The lane <paramref name="address"/> (a delivery's input address) is, or -1 when it is no dispatch lane.</summary>
    public static int LaneOf(Uri? address)
    {
        var queue = address?.AbsolutePath.TrimEnd('/').Split('/')[^1];
        // A share's lane (dispatcher-lane-3.s1) is lane 3 of that share.
        var name = queue is null ? null : Standby.DispatchShares.BaseName(queue);
        return name is not null && name.StartsWith(QueueNames.LanePrefix, StringComparison.Ordinal)
            && int.TryParse(name.AsSpan(QueueNames.LanePrefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var lane)
            ? lane
            : -1;
    }

    /// <summary>Whether <paramref name="address"/> (a delivery's input address) is a dispatch lane.</summary>
    public static bool IsLane(Uri? address) => LaneOf(address) >= 0;

    private void ForgetIdle(DateTimeOffset now)
    {
        if (now - _forgotAt < TimeSpan.FromMinutes(1))
        {
            return;
        }

        _forgotAt = now;
        foreach (var (key, (lane, used)) in _assigned.ToList())
        {
            if (now - used > Forget)
            {
                _assigned.Remove(key);
                _batches[lane]--;
            }
        }
    }
}
