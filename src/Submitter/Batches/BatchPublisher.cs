using Dispatcher.Consumers;
using Dispatcher.Contracts;
using Dispatcher.Messaging;
using MassTransit;

namespace Dispatcher.Submitter.Batches;

/// <summary>
/// Publishes a validated batch file: the batch announcement, then one job per line, streamed
/// with a bounded number of sends awaiting their broker confirmation, so memory stays flat
/// whatever the file's size.
/// </summary>
internal sealed class BatchPublisher(ISendEndpointProvider sender, int priority = 0, int maxInFlight = 256)
{
    /// <summary>Publishes the file's lines as batch <paramref name="batchId"/>; returns how many jobs were sent.</summary>
    public async Task<int> PublishAsync(
        string path,
        string batchId,
        int lines,
        BatchFileLimits limits,
        IProgress<int>? progress,
        CancellationToken ct)
    {
        // The exchange, not the queue: the dispatcher declares the queue (single-active), as for the intake.
        var batches = await sender.GetSendEndpoint(new Uri("exchange:" + SubmitBatchConsumerDefinition.Queue));
        await batches.Send(new SubmitBatch(batchId, lines, Path.GetFileName(path)), ct);

        var intake = await sender.GetSendEndpoint(IntakePriority.IntakeAddress);
        using var window = new SemaphoreSlim(maxInFlight, maxInFlight);
        var pending = new List<Task>(maxInFlight);
        var sent = 0;
        await foreach (var line in BatchFileReader.ReadAsync(path, limits, ct))
        {
            await window.WaitAsync(ct);
            pending.Add(SendAsync(intake, line, batchId, priority, window, ct));
            sent++;
            if (pending.Count >= maxInFlight)
            {
                await DrainCompletedAsync(pending);
                progress?.Report(sent - pending.Count);
            }
        }

        await Task.WhenAll(pending);
        progress?.Report(sent);
        return sent;
    }

    private static async Task SendAsync(ISendEndpoint intake, BatchLine line, string batchId, int priority, SemaphoreSlim window, CancellationToken ct)
    {
        try
        {
            await intake.Send(
                new SubmitCompletion(line.CustomId, line.Model, line.Body, batchId, NewId.NextGuid(), Priority: priority),
                context => IntakePriority.Apply(context, priority),
                ct);
        }
        finally
        {
            window.Release();
        }
    }

    private static async Task DrainCompletedAsync(List<Task> pending)
    {
        await Task.WhenAny(pending);
        for (var i = pending.Count - 1; i >= 0; i--)
        {
            if (pending[i].IsCompleted)
            {
                await pending[i]; // surfaces a failed send
                pending.RemoveAt(i);
            }
        }
    }
}
