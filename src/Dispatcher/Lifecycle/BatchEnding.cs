using Dispatcher.Contracts;

namespace Dispatcher.Lifecycle;

/// <summary>How a job ends when its batch ended before it did: the error kind and the message its error line carries.</summary>
public readonly record struct BatchEnding(ErrorKind Kind, string Message)
{
    /// <summary>The ending for a job of <paramref name="batchId"/> held by <paramref name="hold"/> (cancelled or expired).</summary>
    public static BatchEnding For(BatchHold hold, string? batchId) => hold switch
    {
        BatchHold.Cancelled => new(ErrorKind.BatchCancelled, $"batch {batchId} was cancelled before this job ended"),
        BatchHold.Expired => new(ErrorKind.BatchExpired, $"batch {batchId} expired (its completion window ended) before this job ended"),
        _ => throw new ArgumentOutOfRangeException(nameof(hold), hold, "only a cancelled or expired batch ends its jobs"),
    };
}
