using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Dispatcher.Workers.Providers.Anthropic;

/// <summary>
/// Translates an OpenAI chat completions body into a Messages API body: system and developer
/// messages become <c>system</c>; user and assistant messages keep their text (and images);
/// <c>max_completion_tokens</c>/<c>max_tokens</c> become <c>max_tokens</c>; <c>temperature</c> and
/// <c>top_p</c> carry over; <c>stop</c> becomes <c>stop_sequences</c>; <c>user</c> becomes
/// <c>metadata.user_id</c>. What has no faithful translation (tools, several choices, streaming) is
/// refused rather than silently dropped.
/// </summary>
internal static class AnthropicRequestTranslator
{
    /// <summary>Translates <paramref name="body"/>; on failure <paramref name="error"/> says what cannot be sent.</summary>
    /// <param name="body">The OpenAI chat completions body.</param>
    /// <param name="model">The deployment's model, which replaces the body's.</param>
    /// <param name="defaultMaxTokens">The <c>max_tokens</c> to send when the body sets none (Anthropic requires one).</param>
    /// <param name="translated">The Messages API body, field by field.</param>
    /// <param name="error">Why the body cannot be translated.</param>
    public static bool TryTranslate(
        JsonElement body,
        string model,
        int defaultMaxTokens,
        [NotNullWhen(true)] out IReadOnlyDictionary<string, JsonElement>? translated,
        [NotNullWhen(false)] out string? error)
    {
        translated = null;
        error = Refusal(body);
        if (error is not null)
        {
            return false;
        }

        var messages = body.GetProperty("messages");
        var system = new List<string>();
        var turns = 0;
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("model", model);
            writer.WriteNumber("max_tokens", MaxTokens(body, defaultMaxTokens));
            writer.WriteStartArray("messages");
            foreach (var message in messages.EnumerateArray())
            {
                var role = message.ValueKind == JsonValueKind.Object && message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String
                    ? r.GetString()
                    : null;
                message.TryGetProperty("content", out var content);
                switch (role)
                {
                    case "system" or "developer":
                        if (!TryGetText(content, out var text, out error))
                        {
                            return false;
                        }

                        system.Add(text);
                        break;
                    case "user" or "assistant":
                        if (message.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array && calls.GetArrayLength() > 0)
                        {
                            error = "Assistant tool calls are not supported by the Anthropic adapter.";
                            return false;
                        }

                        writer.WriteStartObject();
                        writer.WriteString("role", role);
                        writer.WritePropertyName("content");
                        if (!TryWriteContent(writer, content, out error))
                        {
                            return false;
                        }

                        writer.WriteEndObject();
                        turns++;
                        break;
                    default:
                        error = $"Messages with role '{role ?? "(none)"}' are not supported by the Anthropic adapter.";
                        return false;
                }
            }

            writer.WriteEndArray();
            if (turns == 0)
            {
                error = "The request has no user or assistant message.";
                return false;
            }

            if (system.Count > 0)
            {
                writer.WriteString("system", string.Join("\n\n", system));
            }

            CopyNumber(body, "temperature", writer);
            CopyNumber(body, "top_p", writer);
            WriteStopSequences(body, writer);
            if (body.TryGetProperty("user", out var user) && user.ValueKind == JsonValueKind.String)
            {
                writer.WriteStartObject("metadata");
                writer.WriteString("user_id", user.GetString());
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.ToArray());
        translated = document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal);
        return true;
    }

    private static string? Refusal(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return "The request body is not a JSON object.";
        }

        if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            return "The request body has no messages array.";
        }

        if (body.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True)
        {
            return "Streaming (\"stream\": true) is not supported for batch completions.";
        }

        if (HasItems(body, "tools") || HasItems(body, "functions"))
        {
            return "Tools are not supported by the Anthropic adapter.";
        }

        if (body.TryGetProperty("n", out var n) && n.ValueKind == JsonValueKind.Number && (!n.TryGetInt32(out var count) || count > 1))
        {
            return "The Messages API returns one choice; \"n\" above 1 is not supported.";
        }

        return null;
    }

    private static long MaxTokens(JsonElement body, int defaultMaxTokens)
    {
        foreach (var name in (ReadOnlySpan<string>)["max_completion_tokens", "max_tokens"])
        {
            if (body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var tokens) && tokens > 0)
            {
                return tokens;
            }
        }

        return defaultMaxTokens;
    }

    private static bool TryGetText(JsonElement content, [NotNullWhen(true)] out string? text, [NotNullWhen(false)] out string? error)
    {
        error = null;
        if (content.ValueKind == JsonValueKind.String)
        {
            text = content.GetString()!;
            return true;
        }

        text = null;
        if (content.ValueKind != JsonValueKind.Array)
        {
            error = "A system message has no text content.";
            return false;
        }

        var parts = new List<string>();
        foreach (var part in content.EnumerateArray())
        {
            if (PartType(part) != "text" || !part.TryGetProperty("text", out var t) || t.ValueKind != JsonValueKind.String)
            {
                error = "System messages may hold only text parts.";
                return false;
            }

            parts.Add(t.GetString()!);
        }

        text = string.Join("\n", parts);
        return true;
    }

    private static bool TryWriteContent(Utf8JsonWriter writer, JsonElement content, [NotNullWhen(false)] out string? error)
    {
        error = null;
        if (content.ValueKind == JsonValueKind.String)
        {
            writer.WriteStringValue(content.GetString());
            return true;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            error = "A user or assistant message has no content.";
            return false;
        }

        writer.WriteStartArray();
        foreach (var part in content.EnumerateArray())
        {
            switch (PartType(part))
            {
                case "text" when part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String:
                    writer.WriteStartObject();
                    writer.WriteString("type", "text");
                    writer.WriteString("text", text.GetString());
                    writer.WriteEndObject();
                    break;
                case "image_url" when ImageUrl(part) is { } url:
                    WriteImage(writer, url);
                    break;
                case var type:
                    error = $"Content parts of type '{type ?? "(none)"}' are not supported by the Anthropic adapter.";
                    return false;
            }
        }

        writer.WriteEndArray();
        return true;
    }

    private static void WriteImage(Utf8JsonWriter writer, string url)
    {
        writer.WriteStartObject();
        writer.WriteString("type", "image");
        writer.WriteStartObject("source");

        // OpenAI takes inline images as data URLs; Anthropic wants the media type and data apart.
        const string DataPrefix = "data:";
        const string Base64Marker = ";base64,";
        var marker = url.IndexOf(Base64Marker, StringComparison.Ordinal);
        if (url.StartsWith(DataPrefix, StringComparison.OrdinalIgnoreCase) && marker > DataPrefix.Length)
        {
            writer.WriteString("type", "base64");
            writer.WriteString("media_type", url[DataPrefix.Length..marker]);
            writer.WriteString("data", url[(marker + Base64Marker.Length)..]);
        }
        else
        {
            writer.WriteString("type", "url");
            writer.WriteString("url", url);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static string? ImageUrl(JsonElement part)
    {
        if (!part.TryGetProperty("image_url", out var image))
        {
            return null;
        }

        if (image.ValueKind == JsonValueKind.String)
        {
            return image.GetString();
        }

        return image.ValueKind == JsonValueKind.Object && image.TryGetProperty("url", out var url) && url.ValueKind == JsonValueKind.String
            ? url.GetString()
            : null;
    }

    private static void WriteStopSequences(JsonElement body, Utf8JsonWriter writer)
    {
        if (!body.TryGetProperty("stop", out var stop))
        {
            return;
        }

        if (stop.ValueKind == JsonValueKind.String)
        {
            writer.WriteStartArray("stop_sequences");
            writer.WriteStringValue(stop.GetString());
            writer.WriteEndArray();
        }
        else if (stop.ValueKind == JsonValueKind.Array)
        {
            writer.WriteStartArray("stop_sequences");
            foreach (var sequence in stop.EnumerateArray().Where(s => s.ValueKind == JsonValueKind.String))
            {
                writer.WriteStringValue(sequence.GetString());
            }

            writer.WriteEndArray();
        }
    }

    private static void CopyNumber(JsonElement body, string name, Utf8JsonWriter writer)
    {
        if (body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number)
        {
            writer.WritePropertyName(name);
            value.WriteTo(writer);
        }
    }

    private static bool HasItems(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array && value.GetArrayLength() > 0;

    private static string? PartType(JsonElement part) =>
        part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
            ? type.GetString()
            : null;
}
