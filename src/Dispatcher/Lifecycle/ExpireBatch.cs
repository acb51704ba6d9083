namespace Dispatcher.Lifecycle;

/// <summary>
/// A batch whose completion window has passed, found by <see cref="BatchExpiry"/> and sent to the
/// batch control queue, where the active dispatcher ends it as it ends a cancelled one.
/// </summary>
/// <param name="BatchId">The batch.</param>
public sealed record ExpireBatch(string BatchId);
