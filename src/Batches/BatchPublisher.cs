using System.Runtime.CompilerServices;
using Dispatcher.Contracts;
using Dispatcher.ServiceDefaults.Messaging;
using MassTransit;

namespace Dispatcher.Batches;

/// <summary>
/// Publishes a validated batch file: the batch announcement, then its lines in chunks of jobs
/// (<see cref="SubmitCompletions"/>), streamed with a bounded number of chunks awaiting their
/// broker confirmation, so memory stays flat whatever the file's size. A chunk is one message to
/// store, deliver and acknowledge where one job per line would be a hundred.
/// </summary>
/// <param name="sender">Where the batch goes (the bus).</param>
/// <param name="priority">Every job's priority.</param>
/// <param name="maxInFlight">Chunks awaiting the broker's confirmation at once.</param>
/// <param name="tenant">The tenant every job is billed to (its spend caps and fair share); none when null.</param>
/// <param name="time">The clock of the sends' time limits; the system's when null.</param>
/// <param name="window">
/// What paces the chunks by the dispatcher's progress (an embedded run's bound on jobs in flight);
/// none: the file is published as fast as the broker confirms it, its backlog held in the intake queue.
/// </param>
/// <remarks>
/// A send the broker does not confirm within <see cref="BrokerConfirmation.Timeout"/> (a publish
/// on a channel that died with a broker restart can wait forever) is sent again, up to
/// <see cref="SendAttempts"/> times; a chunk sent twice is recognised by its job ids at the intake.
/// </remarks>
internal sealed class BatchPublisher(
    ISendEndpointProvider sender, int priority = 0, int maxInFlight = 16, string? tenant = null, TimeProvider? time = null, IPublishWindow? window = null)
{
    /// <summary>How many times the announcement or a chunk is sent before publishing fails.</summary>
    public const int SendAttempts = 5;

    private static readonly TimeSpan FirstPause = TimeSpan.FromSeconds(1);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Whether a window paces the chunks by the dispatcher's progress, so publishing can wait on it.</summary>
    public bool IsPaced => window is not null;

    /// <summary>The most jobs in one chunk.</summary>
    public const int ChunkJobs = 100;

    /// <summary>
    /// A chunk closes once its lines reach this many bytes; a longer line goes in a chunk alone.
    /// It keeps a chunk of long prompts from making one very large message.
    /// </summary>
    public const int ChunkBytes = 256 * 1024;

    /// <summary>
    /// Publishes the file's lines as batch <paramref name="batchId"/>; returns how many jobs were
    /// sent (lines the window left out, which the dispatcher already holds, are reported as
    /// progress but not counted). <paramref name="digest"/> is the file's <see cref="BatchFileDigest"/>, when known;
    /// <paramref name="completionWindow"/> how long the batch may take (<see cref="SubmitBatch.CompletionWindow"/>);
    /// <paramref name="metadata"/> what is kept with the batch (<see cref="SubmitBatch.Metadata"/>).
    /// </summary>
    public async Task<int> PublishAsync(
        string path,
        string batchId,
        int lines,
        BatchFileLimits limits,
        IProgress<int>? progress,
        CancellationToken ct,
        string? digest = null,
        TimeSpan? completionWindow = null,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        // The exchange, not the queue: the dispatcher declares the queue (single-active), as for the intake.
        var batches = await sender.GetSendEndpoint(new Uri("exchange:" + QueueNames.Batches));
        var announcement = new SubmitBatch(batchId, lines, Path.GetFileName(path), digest, completionWindow, metadata);
        await BrokerConfirmation.SendConfirmedAsync(t => batches.Send(announcement, t), _time, $"the announcement of batch {batchId}", SendAttempts, FirstPause, ct);

        var intake = await sender.GetSendEndpoint(IntakePriority.IntakeAddress);
        var pending = new Queue<Task<int>>(maxInFlight);
        var sent = 0;
        var skipped = 0;
        await foreach (var chunk in ChunksAsync(path, batchId, limits, ct))
        {
            var jobs = window is null ? chunk : await window.AdmitAsync(chunk, ct);
            skipped += chunk.Count - jobs.Count;
            if (jobs.Count > 0)
            {
                pending.Enqueue(SendChunkAsync(intake, jobs, priority, ct));
            }

            while (pending.Count >= maxInFlight || (pending.Count > 0 && pending.Peek().IsCompleted))
            {
                sent += await pending.Dequeue(); // surfaces a failed send
                progress?.Report(sent + skipped);
            }
        }

        while (pending.Count > 0)
        {
            sent += await pending.Dequeue();
        }

        progress?.Report(sent + skipped);
        return sent;
    }

    private async IAsyncEnumerable<List<SubmitCompletion>> ChunksAsync(
        string path, string batchId, BatchFileLimits limits, [EnumeratorCancellation] CancellationToken ct)
    {
        // A window smaller than a chunk bounds the chunks too.
        var most = Math.Min(ChunkJobs, window?.Size ?? ChunkJobs);
        var chunk = new List<SubmitCompletion>(most);
        var bytes = 0;
        await foreach (var line in BatchFileReader.ReadAsync(path, limits, ct))
        {
            if (chunk.Count > 0 && (chunk.Count == most || bytes + line.Bytes > ChunkBytes))
            {
                yield return chunk;
                chunk = new List<SubmitCompletion>(most);
                bytes = 0;
            }

            chunk.Add(new SubmitCompletion(line.CustomId, line.Model, line.Body, batchId, NewId.NextGuid(), Tenant: tenant, Priority: priority, Url: line.Url));
            bytes += line.Bytes;
        }

        if (chunk.Count > 0)
        {
            yield return chunk;
        }
    }

    private async Task<int> SendChunkAsync(ISendEndpoint intake, List<SubmitCompletion> chunk, int priority, CancellationToken ct)
    {
        var message = new SubmitCompletions(chunk);
        await BrokerConfirmation.SendConfirmedAsync(
            t => intake.Send(message, context => IntakePriority.Apply(context, priority), t),
            _time,
            $"a chunk of {chunk.Count} jobs from {chunk[0].CustomId}",
            SendAttempts,
            FirstPause,
            ct);
        return chunk.Count;
    }
}
