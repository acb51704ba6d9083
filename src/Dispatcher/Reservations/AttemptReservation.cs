using Dispatcher.Catalog;
using Dispatcher.Dispatching;
using Dispatcher.Ledger;
using Dispatcher.Quotas;

namespace Dispatcher.Reservations;

/// <summary>
/// What one attempt holds from the moment it is routed until its outcome settles it or it is
/// released unsent: one request and its tokens in the deployment's quota, its estimated cost
/// against the spend caps, and (while the deployment's breaker is half-open) a probe slot.
/// </summary>
/// <param name="Deployment">The deployment the attempt was routed to.</param>
/// <param name="Sequence">The quota reservation's sequence (0 when the ledger recorded none).</param>
/// <param name="ReservedTokens">The tokens reserved: the prompt estimate as input, max_tokens as output.</param>
/// <param name="EstimatedCost">The cost reserved against the spend caps: the prompt estimate and max_tokens at the deployment's prices.</param>
/// <param name="Tenant">The job's tenant, whose cap the cost counts against too; null for none.</param>
/// <param name="Ceiling">The most usage the attempt can really have had, which its settle never charges beyond.</param>
public readonly record struct AttemptReservation(
    DeploymentOptions Deployment,
    long Sequence,
    QuotaTokens ReservedTokens,
    decimal EstimatedCost,
    string? Tenant,
    UsageCeiling Ceiling)
{
    /// <summary>
    /// The reservation routing made for <paramref name="job"/>'s attempt on
    /// <paramref name="deployment"/> under <paramref name="sequence"/>, worked out again from
    /// the job's estimates: routing reserved exactly these figures.
    /// </summary>
    public static AttemptReservation For(JobRow job, DeploymentOptions deployment, long sequence) => new(
        deployment,
        sequence,
        new QuotaTokens(Saturate(job.EstPromptTokens), Saturate(job.MaxTokens)),
        CostCalculator.Cost(deployment, job.EstPromptTokens, job.MaxTokens),
        job.Tenant,
        UsageCeiling.For(job, deployment));

    private static int Saturate(long count) => (int)Math.Clamp(count, 0, int.MaxValue);
}
