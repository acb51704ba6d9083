using Dispatcher.Catalog;
using Dispatcher.Contracts;

namespace Dispatcher.Routing;

/// <summary>
/// Where a job goes and why; or why it can go nowhere, and when to try again. A value type
/// whose reason is spelled out only when read, so a decision allocates nothing.
/// </summary>
/// <param name="Deployment">The chosen deployment; null when none can take the job now.</param>
/// <param name="Strategy">The strategy that chose.</param>
/// <param name="ReservationSequence">The quota reservation made for the job on the chosen deployment.</param>
/// <param name="Candidates">How many deployments the strategy chose among.</param>
/// <param name="FilteredOut">How many deployments of the group were filtered out or could not afford the job.</param>
/// <param name="Refusal">Why no deployment can take the job; null when one was chosen.</param>
/// <param name="RefusalKind">How a job that no deployment can take should end: no deployment, or a spend cap.</param>
/// <param name="RetryIn">
/// When no deployment can take the job only because of quota or a closed availability window, how
/// long until one can (for a window, at most <see cref="AvailabilityFilter.MaxWait"/>); null when
/// waiting would not help (no deployment serves the group, or every one is filtered out for good).
/// </param>
/// <param name="BreakerRetryIn">
/// When some deployment was passed over only because its breaker is open, how long until one lets
/// probes through; null when none was.
/// </param>
/// <param name="Rule">The rule of the group that narrowed the candidates, if one did.</param>
/// <param name="SentBy">The rule that sent the job to this group, if one did.</param>
/// <param name="Weight">The chosen deployment's adaptive weight, when the strategy draws by one.</param>
/// <param name="ForWindow">
/// Whether <paramref name="RetryIn"/> is only the wait for an availability window to open, no
/// deployment being short of quota: such a job waits for time, not for capacity others would take,
/// so it holds no job of lower priority back.
/// </param>
public readonly record struct RoutingDecision(
    DeploymentOptions? Deployment,
    string Strategy,
    long ReservationSequence,
    int Candidates,
    int FilteredOut,
    string? Refusal,
    ErrorKind RefusalKind,
    TimeSpan? RetryIn,
    TimeSpan? BreakerRetryIn = null,
    RoutingRule? Rule = null,
    RoutingRule? SentBy = null,
    AdaptiveWeight? Weight = null,
    bool ForWindow = false)
{
    /// <summary>A decision that no deployment can take the job.</summary>
    public static RoutingDecision Refused(string strategy, string why, ErrorKind kind = ErrorKind.NoDeployment, TimeSpan? retryIn = null, TimeSpan? breakerRetryIn = null) =>
        new(null, strategy, 0, 0, 0, why, kind, retryIn, breakerRetryIn);

    /// <summary>A readable account of the decision, for logs and traces.</summary>
    public string Reason => SentBy is { } sent
        ? $"{sent.Description} sent the job to {sent.SendsTo}; {Decided}"
        : Decided;

    private string Decided => Deployment is null
        ? Refusal ?? "no deployment"
        : (Rule is { } rule ? $"{rule.Description} matched; " : "")
            + (Weight is { } weight ? $"{Strategy} chose {Deployment.Id} at {weight}" : $"{Strategy} chose {Deployment.Id}")
            + $" of {Candidates} candidate(s); {FilteredOut} {(Rule is null ? "" : "ruled out, ")}filtered out or over quota";
}
