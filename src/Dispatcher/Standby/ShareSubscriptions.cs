using System.Threading.Channels;
using Dispatcher.Hosting;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dispatcher.Standby;

/// <summary>
/// With several shares of the model groups (<see cref="StandbyOptions.Shares"/>), subscribes this
/// process to each share's queues: its preferred shares' as soon as it has started, the others'
/// after <see cref="StandbyOptions.StandbyJoinDelay"/>. The queues are single-active, so processes
/// started together split the shares (each is first on its preferred ones) and each waits as the
/// standby of the others' shares: when a process dies, the broker hands its queues to the next
/// consumer within seconds. A share this process lost (<see cref="DispatcherActivation.Drop"/>) is
/// left, which hands back what it held, and joined again at the back, as a standby. A share whose
/// queues a job is to be sent to before any process has joined them is joined at once
/// (<see cref="ShareQueueSender"/>), which declares them.
/// </summary>
internal sealed class ShareSubscriptions(
    IServiceProvider services,
    DispatchShares shares,
    DispatcherActivation activation,
    ShareQueueSender sender,
    IOptions<StandbyOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<ShareSubscriptions> logger) : BackgroundService
{
    private readonly Channel<int> _lost = Channel.CreateUnbounded<int>();
    private readonly Dictionary<int, List<HostReceiveEndpointHandle>> _joined = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!shares.Split)
        {
            return;
        }

        // Once every hosted service has started, the bus among them.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
        {
            await started.Task;
        }

        activation.Lost += share => _lost.Writer.TryWrite(share);
        var preferred = options.Value.PreferredShares.Count == 0
            ? Enumerable.Range(0, shares.Count).ToList()
            : options.Value.PreferredShares.Distinct().Order().ToList();
        foreach (var share in preferred)
        {
            await JoinAsync(share, stoppingToken);
        }

        var others = Enumerable.Range(0, shares.Count).Except(preferred).ToList();
        var joinOthers = others.Count == 0 ? Task.CompletedTask : Task.Delay(options.Value.StandbyJoinDelay, time, stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            var lost = _lost.Reader.WaitToReadAsync(stoppingToken).AsTask();
            var needed = sender.Joins.WaitToReadAsync(stoppingToken).AsTask();
            await Task.WhenAny(joinOthers, lost, needed);
            while (sender.Joins.TryRead(out var join))
            {
                if (others.Remove(join.Share))
                {
                    logger.LogInformation("Joining the queues of share {Share} now: a job is to be sent there and no dispatcher has declared them yet", join.Share);
                    await JoinAsync(join.Share, stoppingToken);
                }

                join.Joined.TrySetResult();
            }

            if (joinOthers.IsCompleted && others.Count > 0)
            {
                await joinOthers;
                foreach (var share in others)
                {
                    await JoinAsync(share, stoppingToken);
                }

                others.Clear();
                joinOthers = Task.Delay(Timeout.InfiniteTimeSpan, time, stoppingToken);
            }

            while (_lost.Reader.TryRead(out var share))
            {
                await LeaveAsync(share, stoppingToken);
                logger.LogInformation("Left the queues of share {Share}; joining them again as a standby", share);
                activation.Rejoined(share);
                await JoinAsync(share, stoppingToken);
            }

            if (lost.IsCompleted)
            {
                await lost;
            }

            if (needed.IsCompleted)
            {
                await needed;
            }
        }
    }

    private async Task JoinAsync(int share, CancellationToken ct)
    {
        var connector = services.GetRequiredService<IReceiveEndpointConnector>();
        var handles = new List<HostReceiveEndpointHandle>();
        var context = services.GetRequiredService<IBusRegistrationContext>();
        foreach (var (queue, configure) in DispatcherModule.ShareQueues(context, share))
        {
            handles.Add(connector.ConnectReceiveEndpoint(queue, (_, e) => configure(e)));
        }

        _joined[share] = handles;
        foreach (var handle in handles)
        {
            await handle.Ready.WaitAsync(ct);
        }

        activation.Joined(share, true);
        logger.LogInformation("Subscribed to the queues of share {Share}", share);
    }

    private async Task LeaveAsync(int share, CancellationToken ct)
    {
        activation.Joined(share, false);
        if (_joined.Remove(share, out var handles))
        {
            await Task.WhenAll(handles.Select(h => h.StopAsync(ct)));
        }
    }
}
