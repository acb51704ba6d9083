using System.Text.Json;
using Dispatcher.Contracts;

namespace Dispatcher.Workers.Providers.Http;

/// <summary>
/// Checks that a body is an OpenAI Responses API response: an <c>output</c> list, and usage with
/// <c>input_tokens</c> and <c>output_tokens</c>. A response the provider failed, or cut short by
/// its content filter with nothing in it, is not an answer. The body is returned as it came.
/// </summary>
internal sealed class ResponsesReader : ICompletionReader
{
    /// <inheritdoc />
    public CompletionRead Read(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return Malformed("the body is not a JSON object");
        }

        if (!body.TryGetProperty("output", out var output) || output.ValueKind != JsonValueKind.Array)
        {
            return Malformed("it has no output");
        }

        var status = body.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
        if (status == "failed")
        {
            var message = body.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object
                && error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String
                    ? m.GetString()
                    : null;
            return CompletionRead.Failure(ErrorKind.ServerError, message ?? "The provider reports the response failed.");
        }

        if (status == "incomplete" && output.GetArrayLength() == 0
            && body.TryGetProperty("incomplete_details", out var details) && details.ValueKind == JsonValueKind.Object
            && details.TryGetProperty("reason", out var reason) && reason.ValueEquals("content_filter"))
        {
            return CompletionRead.Failure(ErrorKind.ContentPolicy, "The provider filtered the response (incomplete: content_filter).");
        }

        var anomalies = new List<ProviderAnomaly>();
        if (!JsonFields.TryGetUsage(body, "input_tokens", "output_tokens", anomalies, out var usage))
        {
            return Malformed("it has no usage with input_tokens and output_tokens");
        }

        return CompletionRead.Success(body.Clone(), usage, anomalies);
    }

    private static CompletionRead Malformed(string why) =>
        CompletionRead.Failure(ErrorKind.MalformedResponse, $"The provider's answer is not a response: {why}.");
}
