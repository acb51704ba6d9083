using System.Text.Json;
using Dispatcher.Contracts;

namespace Dispatcher.Workers.Providers.Http;

/// <summary>
/// Checks that a body is an OpenAI (legacy) text completion: a first choice with text, and usage
/// with prompt and completion tokens. The body is returned as it came.
/// </summary>
internal sealed class TextCompletionReader : ICompletionReader
{
    /// <inheritdoc />
    public CompletionRead Read(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return Malformed("the body is not a JSON object");
        }

        if (!body.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0
            || choices[0].ValueKind != JsonValueKind.Object)
        {
            return Malformed("it has no choices");
        }

        var choice = choices[0];
        var text = choice.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        if (string.IsNullOrEmpty(text) && choice.TryGetProperty("finish_reason", out var finish) && finish.ValueEquals("content_filter"))
        {
            return CompletionRead.Failure(ErrorKind.ContentPolicy, "The provider filtered the completion (finish_reason content_filter).");
        }

        if (text is null)
        {
            return Malformed("choices[0] has no text");
        }

        var anomalies = new List<ProviderAnomaly>();
        if (!JsonFields.TryGetUsage(body, "prompt_tokens", "completion_tokens", anomalies, out var usage))
        {
            return Malformed("it has no usage with prompt_tokens and completion_tokens");
        }

        return CompletionRead.Success(body.Clone(), usage, anomalies);
    }

    private static CompletionRead Malformed(string why) =>
        CompletionRead.Failure(ErrorKind.MalformedResponse, $"The provider's answer is not a text completion: {why}.");
}
