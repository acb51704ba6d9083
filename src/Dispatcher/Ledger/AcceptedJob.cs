namespace Dispatcher.Ledger;

/// <summary>The job a submission stands for, as the ledger holds it after the submission was accepted.</summary>
/// <param name="Job">The stored job: the one just recorded, or the one recorded earlier under the same job id or (batch, custom id).</param>
/// <param name="Recorded">Whether this submission recorded it; false for a repeated submission of a job already known.</param>
public sealed record AcceptedJob(JobRow Job, bool Recorded);
