namespace Dispatcher.Bench.Embedded;

/// <summary>One embedded run's figures.</summary>
/// <param name="Lines">Lines in the file (jobs run).</param>
/// <param name="FileBytes">The file's size.</param>
/// <param name="Wall">The Submitter process from start to exit: start-up, validation, the batch, the results files.</param>
/// <param name="PeakRss">The Submitter's peak resident memory (VmHWM).</param>
/// <param name="RssAtQuarters">Its resident memory when a quarter, half and three quarters of the jobs had finished (null when not seen).</param>
/// <param name="FirstProgress">When the first progress line came: start-up, validation and the pipeline's start.</param>
/// <param name="FinishedIn5Seconds">Jobs finished within 5 s of the process's start, as its last progress line by then said.</param>
/// <param name="SteadyRate">Jobs finished per second between a quarter and three quarters of the batch.</param>
/// <param name="ToSteady">From the process's start until a second of progress first finished jobs at 80 % of <see cref="SteadyRate"/> or more.</param>
/// <param name="OtherPercent">CPU other work on the machine (not the bench or the Submitter) used meanwhile, in percent of one core.</param>
internal sealed record EmbeddedResult(
    int Lines,
    long FileBytes,
    TimeSpan Wall,
    long PeakRss,
    IReadOnlyList<long?> RssAtQuarters,
    TimeSpan? FirstProgress,
    long FinishedIn5Seconds,
    double SteadyRate,
    TimeSpan? ToSteady,
    double OtherPercent)
{
    /// <summary>Jobs per second over the whole process lifetime.</summary>
    public double JobsPerSecond => Lines / Wall.TotalSeconds;
}
