using Dispatcher.Quotas;

namespace Dispatcher.Standby;

/// <summary>
/// Marks the moment this dispatcher process starts consuming. A standby holds the quota and spend
/// state it read when it started, which the active process has since moved on from; before its
/// first job it takes the current state from the ledger, and only from then on does it save quota
/// levels, so an idle standby never overwrites what the active process saved.
/// </summary>
internal sealed class DispatcherActivation(QuotaPersistence persistence)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile bool _active;

    /// <summary>Whether this process has consumed anything yet.</summary>
    public bool IsActive => _active;

    /// <summary>Takes over the ledger's state the first time it is called; a no-op after that.</summary>
    public async ValueTask EnsureActiveAsync(CancellationToken ct)
    {
        if (_active)
        {
            return;
        }

        await _gate.WaitAsync(ct);
        try
        {
            if (!_active)
            {
                await persistence.TakeOverAsync(ct);
                _active = true;
            }
        }
        finally
        {
            _gate.Release();
        }
    }
}
