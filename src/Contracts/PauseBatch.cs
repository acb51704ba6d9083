namespace Dispatcher.Contracts;

/// <summary>
/// Asks the dispatcher to pause a batch: no new attempt of it starts, its jobs stay queued in the
/// ledger (none is lost or sent twice) and hold no quota, while other batches keep flowing. The
/// attempts already under way finish. <see cref="ResumeBatch"/> sends the held jobs on. A batch
/// that ended, or is cancelled, is left as it is. Sent to <see cref="QueueNames.BatchControl"/>.
/// </summary>
/// <param name="BatchId">The batch.</param>
public sealed record PauseBatch(string BatchId);
