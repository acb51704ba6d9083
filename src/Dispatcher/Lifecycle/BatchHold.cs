namespace Dispatcher.Lifecycle;

/// <summary>What keeps a new attempt of a batch's job from starting, if anything.</summary>
public enum BatchHold
{
    /// <summary>Nothing: the batch runs (or the job belongs to no batch).</summary>
    None = 0,
    /// <summary>The batch is paused: the job is put aside, queued, until it is resumed.</summary>
    Paused,
    /// <summary>The batch is cancelled: the job ends <c>batch_cancelled</c>.</summary>
    Cancelled,
    /// <summary>The batch's completion window has passed: the job ends <c>batch_expired</c>.</summary>
    Expired,
}
