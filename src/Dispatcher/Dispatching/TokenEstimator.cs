using System.Text.Json;

namespace Dispatcher.Dispatching;

/// <summary>
/// Estimates a chat request's prompt tokens without a tokenizer. The estimate only sizes the
/// reservation; every reservation is settled against the provider's reported usage, so a
/// slightly high estimate costs a little headroom, never correctness.
/// </summary>
public static class TokenEstimator
{
    // About four characters of English per token for GPT- and Claude-family tokenizers,
    // plus the per-message framing tokens the chat format adds.
    private const double CharsPerToken = 4.0;
    private const int TokensPerMessage = 4;
    private const int TokensPerRequest = 3;

    /// <summary>The estimated prompt tokens of a chat completions body.</summary>
    public static int EstimatePromptTokens(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            return TokensPerRequest;
        }

        long chars = 0;
        var count = 0;
        foreach (var message in messages.EnumerateArray())
        {
            count++;
            if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("content", out var content))
            {
                chars += ContentLength(content);
            }
        }

        return TokensPerRequest + (count * TokensPerMessage) + (int)Math.Ceiling(chars / CharsPerToken);
    }

    /// <summary>The completion tokens to reserve: the body's limit, else the group's default.</summary>
    public static int MaxTokens(JsonElement body, int defaultMaxTokens)
    {
        if (body.ValueKind == JsonValueKind.Object)
        {
            foreach (var name in (ReadOnlySpan<string>)["max_completion_tokens", "max_tokens"])
            {
                if (body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) && n > 0)
                {
                    return n;
                }
            }
        }

        return defaultMaxTokens;
    }

    private static long ContentLength(JsonElement content) => content.ValueKind switch
    {
        JsonValueKind.String => content.GetString()!.Length,
        // Multi-part content: count the text parts; images and audio are priced by the provider's usage.
        JsonValueKind.Array => content.EnumerateArray()
            .Where(p => p.ValueKind == JsonValueKind.Object && p.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
            .Sum(p => (long)p.GetProperty("text").GetString()!.Length),
        _ => 0,
    };
}
