using System.Text.Json;
using Dispatcher.Catalog.Tokens;
using Dispatcher.Contracts;

namespace Dispatcher.Dispatching;

/// <summary>
/// Estimates a request's prompt tokens and the completion tokens to reserve, by endpoint. What
/// counts and how is a <see cref="PromptCounter"/>'s (the tokenizer of the deployments a job may
/// go to: <see cref="PromptEstimates"/>); these overloads count with the heuristic or a given
/// <see cref="ITokenCounter"/>. The estimate sizes the reservation; every reservation is settled
/// against the provider's reported usage.
/// </summary>
public static class TokenEstimator
{
    /// <summary>The most choices (<c>n</c>) a body is taken to ask for: OpenAI's own limit.</summary>
    public const int MaxChoices = 128;

    // The body fields that limit the completion, by endpoint, in the order they take precedence.
    private static readonly string[] ChatLimits = ["max_completion_tokens", "max_tokens"];
    private static readonly string[] CompletionsLimits = ["max_tokens"];
    private static readonly string[] ResponsesLimits = ["max_output_tokens"];
    private static readonly string[] NoLimits = [];

    /// <summary>The estimated prompt tokens of a chat completions body.</summary>
    public static int EstimatePromptTokens(JsonElement body) => EstimatePromptTokens(body, Endpoints.ChatCompletions);

    /// <summary>
    /// The estimated prompt tokens of <paramref name="body"/>, a request for <paramref name="url"/>,
    /// weighed by <paramref name="counter"/> (the four-characters heuristic when null).
    /// </summary>
    public static int EstimatePromptTokens(JsonElement body, string url, ITokenCounter? counter = null) =>
        (counter is null ? PromptCounters.Heuristic : new PromptCounter("custom", counter)).Count(body, url);

    /// <summary>
    /// The completion tokens to reserve for <paramref name="body"/>: <see cref="MaxTokens(JsonElement, int, string)"/>
    /// for each of the <c>n</c> choices a chat completions or completions request asks for.
    /// </summary>
    public static int ReservedCompletionTokens(JsonElement body, int defaultMaxTokens, string url) =>
        (int)Math.Min(int.MaxValue, (long)MaxTokens(body, defaultMaxTokens, url) * Choices(body, url));

    /// <summary>The choices (<c>n</c>) <paramref name="body"/> asks for: 1 when absent or not a number, at most <see cref="MaxChoices"/>; always 1 for endpoints without <c>n</c>.</summary>
    public static int Choices(JsonElement body, string url) =>
        url is Endpoints.ChatCompletions or Endpoints.Completions
            && body.ValueKind == JsonValueKind.Object
            && body.TryGetProperty("n", out var n) && n.ValueKind == JsonValueKind.Number && n.TryGetDouble(out var count)
                ? (int)Math.Clamp(count, 1, MaxChoices)
                : 1;

    /// <summary>The completion tokens to reserve for a chat completions body: its limit, else the group's default.</summary>
    public static int MaxTokens(JsonElement body, int defaultMaxTokens) => MaxTokens(body, defaultMaxTokens, Endpoints.ChatCompletions);

    /// <summary>
    /// The completion tokens to reserve for <paramref name="body"/>, a request for
    /// <paramref name="url"/>: the body's limit (<c>max_completion_tokens</c> or <c>max_tokens</c>
    /// for chat, <c>max_tokens</c> for completions, <c>max_output_tokens</c> for responses), else
    /// <paramref name="defaultMaxTokens"/>; none for embeddings and moderations, which produce no tokens.
    /// </summary>
    public static int MaxTokens(JsonElement body, int defaultMaxTokens, string url)
    {
        var limits = url switch
        {
            Endpoints.Embeddings or Endpoints.Moderations => NoLimits,
            Endpoints.Completions => CompletionsLimits,
            Endpoints.Responses => ResponsesLimits,
            _ => ChatLimits,
        };
        if (limits.Length == 0)
        {
            return 0;
        }

        if (body.ValueKind == JsonValueKind.Object)
        {
            foreach (var name in limits)
            {
                if (body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) && n > 0)
                {
                    return n;
                }
            }
        }

        return defaultMaxTokens;
    }
}
