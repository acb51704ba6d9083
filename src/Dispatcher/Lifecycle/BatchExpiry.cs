using Dispatcher.Contracts;
using Dispatcher.Ledger;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dispatcher.Lifecycle;

/// <summary>
/// Finds the batches whose completion window has passed and that have not ended, and sends each an
/// <see cref="ExpireBatch"/> to the batch control queue. No new attempt of such a batch starts from
/// the moment its window ends (the ledger refuses the claim), so this only decides how soon the
/// jobs nothing is working on (put aside while paused, waiting for a retry, not yet routed) end.
/// Like the reconciler it runs on a standby too and only sends messages: the active dispatcher
/// ends the batch, and ending it twice changes nothing.
/// </summary>
internal sealed class BatchExpiry(
    JobLedger ledger,
    IBus bus,
    IOptions<LifecycleOptions> options,
    TimeProvider time,
    ILogger<BatchExpiry> logger) : BackgroundService
{
    // A batch already sent is sent again only after this long, should its message have been lost.
    private static readonly TimeSpan Resend = TimeSpan.FromSeconds(30);

    private readonly Dictionary<string, DateTimeOffset> _sent = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _pass = new(1, 1);

    /// <summary>Runs one pass; returns the batches it sent an <see cref="ExpireBatch"/> for.</summary>
    public async Task<IReadOnlyList<string>> SweepAsync(CancellationToken ct)
    {
        await _pass.WaitAsync(ct);
        try
        {
            var now = time.GetUtcNow();
            foreach (var (id, at) in _sent)
            {
                if (now - at >= Resend)
                {
                    _sent.Remove(id);
                }
            }

            var sent = new List<string>();
            var due = await ledger.ListDueExpiriesAsync(now, ct);
            if (due.Count == 0)
            {
                return sent;
            }

            var control = await bus.GetSendEndpoint(new Uri("exchange:" + QueueNames.BatchControl));
            foreach (var batchId in due)
            {
                if (_sent.ContainsKey(batchId))
                {
                    continue;
                }

                await control.Send(new ExpireBatch(batchId), ct);
                _sent[batchId] = now;
                sent.Add(batchId);
                logger.LogInformation("Batch {BatchId}: its completion window has passed; ending it as expired", batchId);
            }

            return sent;
        }
        finally
        {
            _pass.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ExpiryCheckInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The next pass looks again; a batch not sent now is still due then.
                logger.LogWarning(e, "Looking for expired batches failed; trying again in {Interval}", options.Value.ExpiryCheckInterval);
            }
        }
    }
}
