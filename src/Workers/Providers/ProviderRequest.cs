using System.Text.Json;

namespace Dispatcher.Workers.Providers;

/// <summary>One call to make.</summary>
/// <param name="Body">The OpenAI-style request body for <paramref name="Url"/>, with <c>model</c> already set to the deployment's model.</param>
/// <param name="MaxTokens">The completion token limit reserved for the call.</param>
/// <param name="EstimatedPromptTokens">The dispatcher's prompt estimate.</param>
/// <param name="JobId">The job the call is for (empty when the caller has no job, as in a probe).</param>
/// <param name="Attempt">Which attempt of the job the call is (0 when the caller has no job).</param>
/// <param name="Url">The endpoint to call, one of <see cref="Contracts.Endpoints.All"/>.</param>
public sealed record ProviderRequest(
    JsonElement Body,
    int MaxTokens,
    int EstimatedPromptTokens,
    Guid JobId = default,
    int Attempt = 0,
    string Url = Contracts.Endpoints.ChatCompletions);
