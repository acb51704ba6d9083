using Dispatcher.Contracts;

namespace Dispatcher.Workers.Consumers;

/// <summary>
/// The attempts whose outcomes this process reported and the broker confirmed, the most recent
/// <see cref="Capacity"/> of them. A message delivered again after this process held it (its
/// channel closed under it with a broker restart, or a pack sent twice) brings attempts this
/// process already ran: the dispatcher has their outcomes in its durable queue, so they are not
/// called again. Only the same send of an attempt is recognised (job, attempt and the
/// dispatcher's reservation): a resend under a new reservation is called, and its own outcome
/// settles that reservation. Keys only, so memory stays small whatever the responses.
/// </summary>
internal sealed class ConfirmedOutcomes
{
    /// <summary>How many recent outcomes are remembered; about 6 MiB of keys.</summary>
    public const int Capacity = 100_000;

    private readonly Lock _lock = new();
    private readonly HashSet<(Guid JobId, int Attempt, long QuotaSeq)> _keys = [];
    private readonly Queue<(Guid JobId, int Attempt, long QuotaSeq)> _order = new();

    /// <summary>Whether this process has reported <paramref name="work"/>'s outcome, confirmed.</summary>
    public bool Contains(CompletionWork work)
    {
        lock (_lock)
        {
            return _keys.Contains((work.JobId, work.Attempt, work.QuotaSeq ?? -1));
        }
    }

    /// <summary>Remembers that the broker confirmed <paramref name="outcome"/>, forgetting the oldest beyond <see cref="Capacity"/>.</summary>
    public void Add(CompletionAttempted outcome)
    {
        lock (_lock)
        {
            if (!_keys.Add((outcome.JobId, outcome.Attempt, outcome.QuotaSeq ?? -1)))
            {
                return;
            }

            _order.Enqueue((outcome.JobId, outcome.Attempt, outcome.QuotaSeq ?? -1));
            if (_order.Count > Capacity)
            {
                _keys.Remove(_order.Dequeue());
            }
        }
    }
}
