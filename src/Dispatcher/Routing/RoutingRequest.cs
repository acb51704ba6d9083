namespace Dispatcher.Routing;

/// <summary>What routing knows about a job when it picks a deployment.</summary>
/// <param name="JobId">The job's id.</param>
/// <param name="ModelGroup">The group the job asked for.</param>
/// <param name="EstimatedPromptTokens">The prompt estimate.</param>
/// <param name="MaxTokens">The completion tokens reserved.</param>
/// <param name="Tenant">The job's tenant, if any.</param>
/// <param name="SessionKey">The job's session key, if any.</param>
/// <param name="Excluded">Deployments this job must not go to (already tried).</param>
/// <param name="Url">The endpoint the job is for (<see cref="Contracts.Endpoints"/>).</param>
/// <param name="Traits">What routing rules read of the job's body and batch; null when no group has rules.</param>
public sealed record RoutingRequest(
    Guid JobId,
    string ModelGroup,
    int EstimatedPromptTokens,
    int MaxTokens,
    string? Tenant,
    string? SessionKey,
    IReadOnlySet<string> Excluded,
    string Url = Contracts.Endpoints.ChatCompletions,
    JobTraits? Traits = null)
{
    /// <summary>The rule that sent the job to the group it routes in now, if one did.</summary>
    public RoutingRule? SentBy { get; init; }

    /// <summary>Prompt estimate plus reserved completion tokens.</summary>
    public int EstimatedTotalTokens => EstimatedPromptTokens + MaxTokens;
}
