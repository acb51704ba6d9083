namespace Dispatcher.Contracts;

/// <summary>
/// Asks the dispatcher to run a failed (dead-lettered) job again through the normal pipeline,
/// with a fresh allowance of attempts. A job that has not failed is left as it is.
/// </summary>
/// <param name="JobId">The job's id.</param>
public sealed record ReplayCompletion(Guid JobId);
