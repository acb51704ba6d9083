namespace Dispatcher.Contracts;

/// <summary>
/// Resumes a paused batch: the jobs it held go back to routing, as new ones would. A batch that is
/// not paused is left as it is. Sent to <see cref="QueueNames.BatchControl"/>.
/// </summary>
/// <param name="BatchId">The batch.</param>
public sealed record ResumeBatch(string BatchId);
