using System.Text.Json;
using Dispatcher.Contracts;

namespace Dispatcher.Workers.Providers.Http;

/// <summary>
/// Checks that a body is an OpenAI chat completion the dispatcher can settle: a first choice with
/// a message, and usage with prompt and completion tokens.
/// </summary>
internal sealed class ChatCompletionReader : ICompletionReader
{
    /// <inheritdoc />
    public CompletionRead Read(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return Malformed("the body is not a JSON object");
        }

        if (!body.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
        {
            return Malformed("it has no choices");
        }

        var choice = choices[0];
        if (choice.ValueKind != JsonValueKind.Object
            || !choice.TryGetProperty("message", out var message)
            || message.ValueKind != JsonValueKind.Object)
        {
            return Malformed("choices[0] has no message");
        }

        var text = message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String
            ? content.GetString()
            : null;
        var finishReason = choice.TryGetProperty("finish_reason", out var finish) && finish.ValueKind == JsonValueKind.String
            ? finish.GetString()
            : null;
        var refusal = message.TryGetProperty("refusal", out var refused) && refused.ValueKind == JsonValueKind.String
            ? refused.GetString()
            : null;

        // A filtered or refused answer arrives as a 200 with nothing in it; a partial answer that was
        // cut by the filter still has text and is returned as it is.
        if (string.IsNullOrEmpty(text) && (finishReason == "content_filter" || !string.IsNullOrEmpty(refusal)))
        {
            return CompletionRead.Failure(ErrorKind.ContentPolicy, refusal ?? "The provider filtered the completion (finish_reason content_filter).");
        }

        var hasToolCalls = message.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array && calls.GetArrayLength() > 0;
        if (text is null && !hasToolCalls)
        {
            return Malformed("choices[0].message has no content");
        }

        var anomalies = new List<ProviderAnomaly>();
        if (!JsonFields.TryGetUsage(body, "prompt_tokens", "completion_tokens", anomalies, out var usage))
        {
            return Malformed("it has no usage with prompt_tokens and completion_tokens");
        }

        return CompletionRead.Success(body.Clone(), usage, anomalies);
    }

    private static CompletionRead Malformed(string why) =>
        CompletionRead.Failure(ErrorKind.MalformedResponse, $"The provider's answer is not a chat completion: {why}.");
}
