using System.Text.Json;

namespace Dispatcher.Contracts;

/// <summary>A job ended with a completion. Published once per (batch, custom id).</summary>
/// <param name="JobId">The job's id.</param>
/// <param name="BatchId">The job's batch, if any.</param>
/// <param name="CustomId">The caller's id for the job.</param>
/// <param name="ModelGroup">The model group the job asked for.</param>
/// <param name="DeploymentId">The deployment that answered.</param>
/// <param name="Attempts">How many attempts it took.</param>
/// <param name="Response">The provider's response body in OpenAI chat completion form.</param>
/// <param name="Usage">Tokens the provider reported.</param>
/// <param name="Cost">Cost in the catalog's currency, from the deployment's prices.</param>
/// <param name="LatencyMs">Latency of the successful call.</param>
/// <param name="RequestId">The provider's request id, when it sent one.</param>
/// <param name="CompletedAt">When the dispatcher recorded the result.</param>
public sealed record CompletionSucceeded(
    Guid JobId,
    string? BatchId,
    string CustomId,
    string ModelGroup,
    string DeploymentId,
    int Attempts,
    JsonElement Response,
    TokenUsage? Usage,
    decimal Cost,
    double LatencyMs,
    string? RequestId,
    DateTimeOffset CompletedAt);
