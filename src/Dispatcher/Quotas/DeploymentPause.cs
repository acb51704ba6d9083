namespace Dispatcher.Quotas;

/// <summary>
/// A deployment a provider asked us to stop calling for a while (a Retry-After): until when, why
/// (e.g. <c>429 Retry-After 30 s</c>), and how many jobs wait out a retry delay after its answer.
/// The dispatcher keeps it in its quota book and saves it in the ledger with the bucket levels,
/// so a process that reads only the ledger sees it too; a pause whose time has passed is none.
/// </summary>
/// <param name="DeploymentId">The paused deployment.</param>
/// <param name="Until">When the deployment may be called again.</param>
/// <param name="Reason">What the provider answered; null when a pause was saved without one.</param>
/// <param name="WaitingJobs">
/// Jobs the dispatcher holds for a retry after a Retry-After of this deployment, their delay not yet
/// over. Jobs that wait for quota in the dispatcher are counted apart (waiting for quota).
/// </param>
public sealed record DeploymentPause(string DeploymentId, DateTimeOffset Until, string? Reason, int WaitingJobs)
{
    /// <summary>Whether the deployment is still paused at <paramref name="now"/>.</summary>
    public bool IsActive(DateTimeOffset now) => Until > now;
}
