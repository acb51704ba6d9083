using System.Text.Json;
using Dispatcher.Contracts;

namespace Dispatcher.Dispatching;

/// <summary>
/// Estimates a request's prompt tokens and the completion tokens to reserve, by endpoint. Which
/// text counts is <see cref="PromptText"/>'s; how much it weighs is an <see cref="ITokenCounter"/>'s
/// (about four characters a token by default). The estimate only sizes the reservation; every
/// reservation is settled against the provider's reported usage, so a slightly high estimate
/// costs a little headroom, never correctness.
/// </summary>
public static class TokenEstimator
{
    // The framing tokens the chat format adds per message (and the Responses format per input
    // item), and once per request.
    private const int TokensPerItem = 4;
    private const int TokensPerRequest = 3;

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
    public static int EstimatePromptTokens(JsonElement body, string url, ITokenCounter? counter = null)
    {
        counter ??= CharacterTokenCounter.Instance;
        var prompt = PromptText.Of(body, url);
        long tokens = prompt.TokenIds + (prompt.Items * TokensPerItem);
        foreach (var text in prompt.Texts)
        {
            tokens += counter.Count(text);
        }

        // Chat-style requests carry the format's framing; embeddings, completions and moderations
        // are their text and nothing more, though never nothing at all.
        tokens += url is Endpoints.ChatCompletions or Endpoints.Responses ? TokensPerRequest : 0;
        return (int)Math.Clamp(tokens, 1, int.MaxValue);
    }

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
