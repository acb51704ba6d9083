namespace Dispatcher.Contracts;

/// <summary>
/// Asks the dispatcher to cancel a batch: no new attempt of it starts, the attempts already under
/// way finish and their results are kept, and every job not yet ended otherwise ends failed with
/// <see cref="ErrorKind.BatchCancelled"/>. The batch is <c>cancelling</c> while attempts are under
/// way, then <c>cancelled</c>. A batch that already ended is left as it is; cancelling twice is harmless.
/// Sent to <see cref="QueueNames.BatchControl"/>.
/// </summary>
/// <param name="BatchId">The batch.</param>
/// <param name="Reason">Why, for the failed jobs' messages; a default is used when null.</param>
public sealed record CancelBatch(string BatchId, string? Reason = null);
