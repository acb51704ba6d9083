namespace Dispatcher.Ledger;

/// <summary>
/// A batch's state under the names of the OpenAI Batch API, plus <see cref="Paused"/>, which it
/// lacks. Derived from the batch's counts and its <see cref="BatchControl"/>, never stored, so it
/// cannot disagree with the jobs.
/// </summary>
public static class BatchState
{
    /// <summary>Announced, and none of its jobs started yet while some are still to be recorded.</summary>
    public const string Validating = "validating";

    /// <summary>Jobs are running (or waiting for quota).</summary>
    public const string InProgress = "in_progress";

    /// <summary>
    /// Every job ended and the results are being written. Never reported here: the results files
    /// are written from the ledger by whoever asks for them (<c>run</c>, <c>submit --wait</c>,
    /// <c>results</c>), so a batch whose jobs all ended is <see cref="Completed"/> at once.
    /// </summary>
    public const string Finalizing = "finalizing";

    /// <summary>Every job ended (succeeded or failed one by one).</summary>
    public const string Completed = "completed";

    /// <summary>
    /// The batch as a whole was refused: a file the Batch API was asked to run failed validation
    /// against the catalog (<see cref="BatchControl.Failed"/>). Nothing of it was published. The CLI
    /// validates a file before anything of it is published, so a bad file it is given never becomes a batch.
    /// </summary>
    public const string Failed = "failed";

    /// <summary>Its completion window passed before every job ended; what finished is kept.</summary>
    public const string Expired = "expired";

    /// <summary>Cancel requested; attempts under way are finishing.</summary>
    public const string Cancelling = "cancelling";

    /// <summary>Cancelled, and nothing of it is under way any more.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>Paused: no new attempt starts until it is resumed.</summary>
    public const string Paused = "paused";

    /// <summary>The state of a batch with these counts and this control.</summary>
    public static string Of(BatchStatus batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var drained = batch.Queued + batch.Dispatched == 0 && batch.NotYetReceived == 0;
        return batch.Control switch
        {
            BatchControl.Failed => Failed,
            BatchControl.Cancelled => drained ? Cancelled : Cancelling,
            BatchControl.Expired => Expired,
            BatchControl.Paused when !batch.IsComplete => Paused,
            _ when batch.IsComplete => Completed,
            // Our intake records jobs as they arrive and starts each at once, so "validating" lasts
            // only until the first job of a batch starts: after that the batch is running, even
            // while the rest of the file is still arriving.
            _ when batch.NotYetReceived > 0 && batch.Dispatched == 0 && batch.Finished == 0 => Validating,
            _ => InProgress,
        };
    }
}
