using System.Text.Json;

namespace Dispatcher.Workers.Providers;

/// <summary>One call to make.</summary>
/// <param name="Body">The OpenAI-style chat completions body, with <c>model</c> already set to the deployment's model.</param>
/// <param name="MaxTokens">The completion token limit reserved for the call.</param>
/// <param name="EstimatedPromptTokens">The dispatcher's prompt estimate.</param>
public sealed record ProviderRequest(JsonElement Body, int MaxTokens, int EstimatedPromptTokens);
