using Dispatcher.Ledger;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dispatcher.Standby;

/// <summary>
/// Gives each share back to the process that prefers it (<see cref="StandbyOptions.PreferredShares"/>)
/// once that process is up again. The broker keeps a single-active queue with the consumer it
/// chose, so a process that took a share over while the share's preferred process was away (not yet
/// started, restarted, rolled out) would otherwise keep it for good, and the dispatchers would not
/// spread the work again. Every <see cref="StandbyOptions.BalanceInterval"/>: a process waiting as
/// the standby of a share it prefers (subscribed to its queues) asks for it in the ledger
/// (<see cref="JobLedger.WantShareAsync"/>), and a process routing a share it does not prefer, that another asks for, hands it back
/// (<see cref="DispatcherActivation.Yield"/>): it leaves the share's queues, the broker gives them
/// to the next consumer, and the asking process takes the share over under the next epoch, which
/// fences off whatever the one leaving still had under way. A share two processes both prefer
/// stays where it is. Without preferred shares (every share preferred) a process asks for nothing
/// and hands nothing back. Every process also drops a share whose epoch in the ledger moved past
/// its own (taken over while it was frozen or cut off), without waiting for a claim to be refused.
/// </summary>
internal sealed class ShareBalancer(
    JobLedger ledger,
    DispatchShares shares,
    DispatcherActivation activation,
    IOptions<StandbyOptions> options,
    TimeProvider time,
    ILogger<ShareBalancer> logger) : BackgroundService
{
    private readonly Dictionary<int, (string To, DateTimeOffset At)> _yielded = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!shares.Split)
        {
            return;
        }

        var preferred = options.Value.PreferredShares.ToHashSet();
        using var timer = new PeriodicTimer(options.Value.BalanceInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await BalanceAsync(preferred, stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The ledger out of reach for a moment: the next tick looks again.
                logger.LogWarning(e, "Could not look at who routes which share; trying again in {Interval}", options.Value.BalanceInterval);
            }
        }
    }

    // A share handed to a process came back to this one: the broker did not give that process its
    // queues (it left them meanwhile, or its connection is not back yet). It is not handed to the
    // same process again for ten intervals, so the share does not go back and forth.
    private bool MayYield(int share, string asking) =>
        !_yielded.TryGetValue(share, out var last) || last.To != asking || time.GetUtcNow() - last.At >= options.Value.BalanceInterval * 10;

    private async Task BalanceAsync(HashSet<int> preferred, CancellationToken ct)
    {
        var me = activation.Owner;
        foreach (var row in await ledger.ListShareOwnersAsync(ct))
        {
            var share = (int)row.Share;
            if (share >= shares.Count)
            {
                continue;
            }

            if (activation.EpochOf(share) is { } epoch && epoch != row.Epoch)
            {
                // Taken over while this process could not see it (frozen, cut off from the broker):
                // it stops acting on the share now rather than at its next refused claim.
                activation.Drop(share);
            }

            if (preferred.Count == 0)
            {
                continue;
            }

            if (preferred.Contains(share))
            {
                if (activation.EpochOf(share) is null && activation.IsJoined(share) && row.Owner != me && row.WantedBy != me && await ledger.WantShareAsync(share, me, ct))
                {
                    logger.LogInformation("Asked for share {Share}, which {Owner} routes, back", share, row.Owner);
                }
            }
            else if (row.Owner == me && row.WantedBy is { } asking && asking != me && activation.EpochOf(share) == row.Epoch && MayYield(share, asking))
            {
                _yielded[share] = (asking, time.GetUtcNow());
                activation.Yield(share);
            }
        }
    }
}
