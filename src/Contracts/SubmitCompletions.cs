namespace Dispatcher.Contracts;

/// <summary>
/// A command asking the dispatcher to run several completion jobs, carried in one intake
/// message. A bulk submit sends its lines this way: the broker then stores, delivers and
/// acknowledges one message per chunk of jobs instead of one per job. Each job is handled as
/// if it had come alone, and the message is acknowledged once every job in it is recorded and
/// sent on (or ended). A chunk with an invalid job is refused whole, before any job in it is
/// recorded.
/// </summary>
/// <param name="Jobs">The jobs, at most <see cref="MaxJobs"/>.</param>
public sealed record SubmitCompletions(IReadOnlyList<SubmitCompletion> Jobs)
{
    /// <summary>The most jobs one message may carry.</summary>
    public const int MaxJobs = 1_000;
}
