using Dispatcher.Ledger;
using Dispatcher.ServiceDefaults.Messaging;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dispatcher.Lifecycle;

/// <summary>
/// Applies the commands on a batch that another process recorded in the ledger
/// (<see cref="JobLedger.RecordBatchRequestAsync"/>): the way <c>cancel</c>, <c>pause</c> and
/// <c>resume</c> reach a dispatcher no broker leads to, the embedded <c>run</c>. Each request is
/// claimed in the ledger before it is applied, so of two passes or two dispatchers only one applies
/// it, and it is applied through <see cref="BatchLifecycle"/>, as the batch control consumer applies
/// a message. A process that fails applying a request gives it back for the next pass; one killed
/// between the claim and the end of applying it leaves it claimed, and the command that recorded
/// it, waiting for the batch's state, says it was not applied in time, so it can be given again.
/// Only on the in-memory transport: on RabbitMQ the commands arrive on the batch control queue,
/// whose single active consumer takes them in order on the active dispatcher alone; applying
/// requests from the ledger there too would do so beside that order, and on a standby.
/// </summary>
internal sealed class BatchRequestApplier(
    JobLedger ledger,
    BatchLifecycle lifecycle,
    IBus bus,
    IOptions<LifecycleOptions> options,
    IOptions<TransportOptions> transport,
    TimeProvider time,
    ILogger<BatchRequestApplier> logger) : BackgroundService
{
    // Requests taken in one pass: the rest wait for the next one, a tick later.
    private const int PassLimit = 16;

    private readonly SemaphoreSlim _pass = new(1, 1);

    /// <summary>
    /// Applies the pending requests, oldest first, at most <see cref="PassLimit"/>; returns how many
    /// this call applied. A request that fails is given back and the pass stops there, so the
    /// requests after it still apply after it.
    /// </summary>
    public async Task<int> ApplyPendingAsync(CancellationToken ct)
    {
        await _pass.WaitAsync(ct);
        try
        {
            var applied = 0;
            foreach (var request in await ledger.ListPendingBatchRequestsAsync(PassLimit, ct))
            {
                if (!await ledger.ClaimBatchRequestAsync(request.RequestId, ct))
                {
                    continue;
                }

                try
                {
                    await ApplyAsync(request, ct);
                }
                catch
                {
                    // Each step of BatchLifecycle can be repeated harmlessly, so applying it again
                    // on a later pass finishes what this one began.
                    await ledger.ReleaseBatchRequestAsync(request.RequestId, CancellationToken.None);
                    throw;
                }

                applied++;
            }

            return applied;
        }
        finally
        {
            _pass.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (transport.Value.Kind != TransportKind.InMemory)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.RequestCheckInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await ApplyPendingAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Applying the batch commands recorded in the ledger failed; trying again in {Interval}", options.Value.RequestCheckInterval);
            }
        }
    }

    private async Task ApplyAsync(BatchRequest request, CancellationToken ct)
    {
        logger.LogInformation("Batch {BatchId}: applying the {Command} recorded in the ledger at {RequestedAt}", request.BatchId, request.Command, request.RequestedAt);
        switch (request.Command)
        {
            case BatchRequestCommand.Cancel:
                await lifecycle.EndAsync(request.BatchId, BatchHold.Cancelled, request.Reason, bus, ct);
                break;
            case BatchRequestCommand.Pause:
                await lifecycle.PauseAsync(request.BatchId, ct);
                break;
            case BatchRequestCommand.Resume:
                await lifecycle.ResumeAsync(request.BatchId, ct);
                break;
            default:
                // Recorded by a newer version: claimed, so it is not looked at again.
                logger.LogWarning("Batch {BatchId}: the request {RequestId} names no command this dispatcher knows ({Command}); it is skipped", request.BatchId, request.RequestId, request.Command);
                break;
        }
    }
}
