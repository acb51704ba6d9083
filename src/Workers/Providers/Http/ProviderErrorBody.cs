using System.Text.Json;

namespace Dispatcher.Workers.Providers.Http;

/// <summary>
/// What a provider said about an error in its answer body. Understands OpenAI's
/// <c>{"error":{"message","type","code"}}</c>, Anthropic's <c>{"type":"error","error":{"type","message"}}</c>,
/// vLLM's flat <c>{"object":"error","message","type","code"}</c> and FastAPI's <c>{"detail"}</c>.
/// </summary>
/// <param name="Message">The human-readable message.</param>
/// <param name="Type">The error type (<c>invalid_request_error</c>, <c>rate_limit_error</c>…).</param>
/// <param name="Code">The machine code (<c>context_length_exceeded</c>, <c>content_filter</c>…).</param>
internal sealed record ProviderErrorBody(string? Message, string? Type, string? Code)
{
    // A body that is not JSON (an HTML page from a proxy, say) is kept as the message, but not all of it.
    private const int MaxTextLength = 500;

    /// <summary>Reads the error from <paramref name="body"/>; every part is null when the body says nothing usable.</summary>
    public static ProviderErrorBody Parse(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return new ProviderErrorBody(null, null, null);
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new ProviderErrorBody(Truncate(body), null, null);
            }

            if (root.TryGetProperty("error", out var error))
            {
                if (error.ValueKind == JsonValueKind.Object)
                {
                    return new ProviderErrorBody(Text(error, "message"), Text(error, "type"), Text(error, "code"));
                }

                if (error.ValueKind == JsonValueKind.String)
                {
                    return new ProviderErrorBody(error.GetString(), Text(root, "type"), Text(root, "code"));
                }
            }

            var message = Text(root, "message") ?? Text(root, "detail");
            return new ProviderErrorBody(message, Text(root, "type"), Text(root, "code"));
        }
        catch (JsonException)
        {
            return new ProviderErrorBody(Truncate(body), null, null);
        }
    }

    private static string? Text(JsonElement owner, string name) =>
        owner.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number => value.GetRawText(),
                _ => null,
            }
            : null;

    private static string Truncate(string text)
    {
        var trimmed = text.Trim();
        return trimmed.Length <= MaxTextLength ? trimmed : string.Concat(trimmed.AsSpan(0, MaxTextLength), "…");
    }
}
