namespace Dispatcher.Retries;

/// <summary>
/// A job going back to routing for its next attempt: from a retry delay queue once its delay
/// has passed, or from the fallback queue at once.
/// </summary>
/// <param name="JobId">The job's id.</param>
/// <param name="Attempt">The attempt to send; the job's previous attempt is the one that failed.</param>
/// <param name="Reason">Why the job is tried again, for logs and traces.</param>
/// <param name="Excluded">Deployments the attempt must not go to.</param>
/// <param name="ModelGroups">The groups to route along, in order.</param>
/// <param name="Resend">
/// The attempt is claimed already and is to be sent again unless it has reported: handed on by a
/// redelivered intake message to the dispatcher that owns the job's share, with that message's
/// right to send it again (<see cref="Dispatching.JobDispatch.MayResendAsync"/>).
/// </param>
public sealed record RetryCompletion(Guid JobId, int Attempt, string Reason, IReadOnlyList<string> Excluded, IReadOnlyList<string> ModelGroups, bool Resend = false);
