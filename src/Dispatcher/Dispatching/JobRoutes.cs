using Dispatcher.Ledger;
using Dispatcher.Lifecycle;
using Dispatcher.Routing;

namespace Dispatcher.Dispatching;

/// <summary>
/// What the groups' routing rules read of a stored job, and the chain of groups they send it
/// along: its body's traits carried from intake, its batch's metadata kept per batch
/// (<see cref="BatchControls"/>), each gathered only when some rule reads it. Dispatch and the planning of a failed attempt's next step both
/// ask it, so a job a rule sent elsewhere is retried where it was sent.
/// </summary>
public sealed class JobRoutes(RoutingRules rules, BatchControls controls)
{
    /// <summary>The job's traits for the rules; null when no group has rules (nothing reads them).</summary>
    public async ValueTask<JobTraits?> TraitsAsync(JobRow job, CancellationToken ct) =>
        rules.Any
            ? new JobTraits(
                (job.BodyTraits & BodyTraits.Images) != 0,
                (job.BodyTraits & BodyTraits.Tools) != 0,
                rules.ReadsBodyMetadata ? BodyTraits.ParseMetadata(job.BodyMetadata) : null,
                rules.ReadsBatchMetadata ? await controls.MetadataAsync(job.BatchId, ct) : null)
            : null;

    /// <summary>
    /// The groups the job routes along when <paramref name="chain"/> begins its route: the chain
    /// itself, or the group a rule sends it to and that group's fallbacks.
    /// </summary>
    public async ValueTask<IReadOnlyList<string>> ChainAsync(JobRow job, IReadOnlyList<string> chain, CancellationToken ct)
    {
        if (!rules.Sends)
        {
            return chain;
        }

        return rules.Redirect(await RequestAsync(job, new HashSet<string>(), ct), chain, out _);
    }

    /// <summary>What routing knows of <paramref name="job"/>, which must avoid <paramref name="excluded"/>.</summary>
    public async ValueTask<RoutingRequest> RequestAsync(JobRow job, IReadOnlySet<string> excluded, CancellationToken ct) =>
        new(
            Guid.Parse(job.JobId),
            job.ModelGroup,
            (int)job.EstPromptTokens,
            (int)job.MaxTokens,
            job.Tenant,
            job.SessionKey,
            excluded,
            job.Endpoint,
            await TraitsAsync(job, ct));
}
