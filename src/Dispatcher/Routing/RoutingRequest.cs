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
public sealed record RoutingRequest(
    Guid JobId,
    string ModelGroup,
    int EstimatedPromptTokens,
    int MaxTokens,
    string? Tenant,
    string? SessionKey,
    IReadOnlySet<string> Excluded,
    string Url = Contracts.Endpoints.ChatCompletions)
{
    /// <summary>Prompt estimate plus reserved completion tokens.</summary>
    public int EstimatedTotalTokens => EstimatedPromptTokens + MaxTokens;
}
