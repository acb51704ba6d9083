using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Dispatcher.Workers.Providers.OpenAi;

/// <summary>
/// Prepares a job's chat completions body for the wire. The body is sent byte for byte as the job
/// gave it, so fields this code has never heard of reach the server; only <c>model</c> is set to the
/// deployment's model when it names something else.
/// </summary>
internal static class OpenAiRequestBody
{
    /// <summary>The bytes to send, or why the body cannot be sent.</summary>
    public static bool TryPrepare(JsonElement body, string model, [NotNullWhen(true)] out BinaryData? content, [NotNullWhen(false)] out string? error)
    {
        content = null;
        if (body.ValueKind != JsonValueKind.Object)
        {
            error = "The request body is not a JSON object.";
            return false;
        }

        // A streamed answer is a sequence of events, not a completion: it would read as malformed
        // and count against the deployment's circuit breaker.
        if (body.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True)
        {
            error = "Streaming (\"stream\": true) is not supported for batch completions.";
            return false;
        }

        error = null;
        if (body.TryGetProperty("model", out var current) && current.ValueKind == JsonValueKind.String && current.ValueEquals(model))
        {
            content = BinaryData.FromString(body.GetRawText());
            return true;
        }

        content = BinaryData.FromBytes(WithModel(body, model));
        return true;
    }

    private static byte[] WithModel(JsonElement body, string model)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("model", model);
            foreach (var property in body.EnumerateObject())
            {
                if (!property.NameEquals("model"))
                {
                    // WriteTo copies the value as it was written, numbers and escapes included.
                    property.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
