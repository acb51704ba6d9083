namespace Dispatcher.Contracts;

/// <summary>
/// Attempts for one deployment, sent together in one message to its queue. The dispatcher packs
/// the attempts it routes to the same deployment while its previous send to that queue awaits
/// the broker's confirmation, so a busy queue takes one message per pack instead of one per
/// attempt, and a quiet one still gets each attempt at once. The worker runs every attempt as if
/// it had come alone, within the deployment's concurrency limit, and acknowledges the message
/// once every attempt's outcome is reported.
/// </summary>
/// <param name="Work">The attempts, all for the queue's deployment.</param>
public sealed record CompletionWorkPack(IReadOnlyList<CompletionWork> Work);
