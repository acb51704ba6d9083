namespace Dispatcher.Contracts;

/// <summary>
/// Outcomes of several attempts, sent together in one message by a worker while its previous
/// report awaits the broker's confirmation. The dispatcher handles each as if it had come alone.
/// </summary>
/// <param name="Outcomes">The outcomes, in no particular order.</param>
public sealed record CompletionAttemptedPack(IReadOnlyList<CompletionAttempted> Outcomes);
