using Dispatcher.Ledger;
using Dispatcher.Quotas;
using Microsoft.Extensions.Logging;

namespace Dispatcher.Standby;

/// <summary>
/// Marks the moment this dispatcher process starts consuming a share's queues (with one share, the
/// dispatcher's queues). A standby holds the quota and spend state it read when it started, which
/// the active process has since moved on from; before its first job it takes the current state from
/// the ledger, and only from then on does it save quota levels, so an idle standby never overwrites
/// what the active process saved. With several shares each is taken over on its own: the process
/// first moves the share's epoch on in the ledger (<see cref="JobLedger.ClaimShareAsync"/>), which
/// fences off the share's previous owner, then takes over the quota state of the share's
/// deployments; every attempt it claims for the share names that epoch.
/// </summary>
public sealed class DispatcherActivation
{
    private readonly QuotaPersistence _persistence;
    private readonly DispatchShares _shares;
    private readonly JobLedger _ledger;
    private readonly ILogger<DispatcherActivation> _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Owned?[] _owned;
    private readonly bool[] _lost;
    private readonly bool[] _joined;

    internal DispatcherActivation(QuotaPersistence persistence, DispatchShares shares, JobLedger ledger, ILogger<DispatcherActivation> logger)
    {
        _persistence = persistence;
        _shares = shares;
        _ledger = ledger;
        _logger = logger;
        _owned = new Owned?[shares.Count];
        _lost = new bool[shares.Count];
        _joined = new bool[shares.Count];
    }

    /// <summary>Raised with a share this process lost: its queues are to be left, and joined again as a standby.</summary>
    public event Action<int>? Lost;

    /// <summary>Whether this process has consumed anything yet.</summary>
    public bool IsActive => Array.Exists(_owned, o => o is not null);

    /// <summary>An identity of this process, recorded as the owner of the shares it takes over.</summary>
    public string Owner { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>The shares this process acts on now, in order.</summary>
    public IReadOnlyList<int> OwnedShares => Enumerable.Range(0, _owned.Length).Where(s => Volatile.Read(ref _owned[s]) is not null).ToList();

    /// <summary>
    /// The epoch under which this process acts on <paramref name="share"/>, or null when it does not
    /// (it has not taken the share over, or lost it). Always 0 with one share, which is not fenced.
    /// </summary>
    public long? EpochOf(int share) => share >= 0 && share < _owned.Length ? Volatile.Read(ref _owned[share])?.Epoch : null;

    /// <summary>Takes over the ledger's state the first time it is called; a no-op after that.</summary>
    public ValueTask EnsureActiveAsync(CancellationToken ct) => EnsureActiveAsync(0, ct);

    /// <summary>
    /// Takes <paramref name="share"/> over the first time it is called for it; a no-op after that.
    /// Throws <see cref="ShareLostException"/> for a share this process lost and has not left yet.
    /// </summary>
    public async ValueTask EnsureActiveAsync(int share, CancellationToken ct)
    {
        if (Volatile.Read(ref _owned[share]) is not null)
        {
            return;
        }

        await _gate.WaitAsync(ct);
        try
        {
            if (_lost[share])
            {
                throw new ShareLostException(share);
            }

            if (_owned[share] is null)
            {
                if (!_shares.Split)
                {
                    await _persistence.TakeOverAsync(share: 0, deployments: null, ct);
                    Volatile.Write(ref _owned[share], new Owned(0));
                    return;
                }

                // The epoch first: from this write on, the previous owner's claims are refused, so
                // the state read next is all it will ever have claimed.
                var epoch = await _ledger.ClaimShareAsync(share, Owner, ct);
                await _persistence.TakeOverAsync(share, _shares.Assignment.DeploymentsOf(share), ct);
                Volatile.Write(ref _owned[share], new Owned(epoch));
                _logger.LogInformation("Took over share {Share} (epoch {Epoch}): model groups {Groups}", share, epoch, string.Join(", ", GroupsOf(share)));
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Stops acting on <paramref name="share"/>, whose epoch moved on in the ledger: another process
    /// took it over. Its quota levels are no longer saved, its messages are handed back, and
    /// <see cref="Lost"/> tells the share's queues to be left.
    /// </summary>
    public void Drop(int share) =>
        Leave(share, epoch => _logger.LogWarning("Share {Share} (epoch {Epoch}) was taken over by another dispatcher; leaving its queues", share, epoch));

    /// <summary>
    /// Hands <paramref name="share"/> back to a process that prefers it and waits as its standby
    /// (<see cref="ShareBalancer"/>): as <see cref="Drop"/>, with the share's queues left so the broker
    /// gives them to that process, which takes the share over under the next epoch.
    /// </summary>
    public void Yield(int share) =>
        Leave(share, epoch => _logger.LogInformation("Handing share {Share} (epoch {Epoch}) back to the dispatcher that prefers it; leaving its queues", share, epoch));

    private void Leave(int share, Action<long> log)
    {
        lock (_lost)
        {
            if (_lost[share] || Volatile.Read(ref _owned[share]) is not { } owned)
            {
                return;
            }

            _lost[share] = true;
            // Its queues are about to be left: until they are joined again, this process is not the
            // share's standby either.
            Volatile.Write(ref _joined[share], false);
            Volatile.Write(ref _owned[share], null);
            _persistence.Leave(share);
            log(owned.Epoch);
        }

        Lost?.Invoke(share);
    }

    /// <summary>Called once the lost <paramref name="share"/>'s queues are left: joined again, the share may be taken over anew.</summary>
    public void Rejoined(int share)
    {
        lock (_lost)
        {
            _lost[share] = false;
        }
    }

    /// <summary>Whether this process is subscribed to <paramref name="share"/>'s queues: active on them, or waiting as their standby.</summary>
    public bool IsJoined(int share) => share >= 0 && share < _joined.Length && Volatile.Read(ref _joined[share]);

    /// <summary>Called once this process has subscribed to <paramref name="share"/>'s queues, and as it leaves them.</summary>
    public void Joined(int share, bool joined) => Volatile.Write(ref _joined[share], joined);

    private IEnumerable<string> GroupsOf(int share) =>
        _shares.Assignment.Groups.Where(g => g.Value == share).Select(g => g.Key).Order(StringComparer.Ordinal);

    private sealed record Owned(long Epoch);
}
