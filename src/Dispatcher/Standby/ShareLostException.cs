namespace Dispatcher.Standby;

/// <summary>
/// This process no longer owns a share: another took it over (its epoch in the ledger moved on),
/// so the message being handled is neither acted on nor acknowledged. It goes back to its queue,
/// for the share's new owner (<see cref="ShareLostFilter"/>).
/// </summary>
public sealed class ShareLostException(int share)
    : Exception($"share {share} was taken over by another dispatcher; this one no longer acts on it")
{
    /// <summary>The share lost.</summary>
    public int Share { get; } = share;
}
