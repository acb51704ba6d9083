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
        content = RequestBody.NamesModel(body, model)
            ? BinaryData.FromString(body.GetRawText())
            : BinaryData.FromBytes(RequestBody.WithModelUtf8(body, model));
        return true;
    }
}
