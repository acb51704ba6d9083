using System.Text.Json;
using Dispatcher.Contracts;
using Dispatcher.Workers.Providers.Http;

namespace Dispatcher.Workers.Providers.Anthropic;

/// <summary>
/// Reads a Messages API answer and returns it as an OpenAI chat completion: the text blocks joined
/// as the message content, <c>stop_reason</c> mapped to <c>finish_reason</c>, and
/// <c>usage</c> with the prompt as Anthropic's <c>input_tokens</c> plus the cache-creation and
/// cache-read tokens (the reads as <c>prompt_tokens_details.cached_tokens</c>) and
/// <c>output_tokens</c> as the completion. The result then goes through the same
/// checks as an OpenAI answer.
/// </summary>
internal sealed class AnthropicCompletionReader(TimeProvider timeProvider, string deploymentModel) : ICompletionReader
{
    private readonly ChatCompletionReader _chat = new();

    /// <inheritdoc />
    public CompletionRead Read(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return Malformed("the body is not a JSON object");
        }

        if (!body.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Array)
        {
            return Malformed("it has no content");
        }

        var anomalies = new List<ProviderAnomaly>();
        if (!body.TryGetProperty("usage", out var usage)
            || usage.ValueKind != JsonValueKind.Object
            || !JsonFields.TryGetCount(usage, "input_tokens", out var input, anomalies)
            || !JsonFields.TryGetCount(usage, "output_tokens", out var output, anomalies))
        {
            return Malformed("it has no usage with input_tokens and output_tokens");
        }

        // input_tokens is the uncached input alone: the prompt also holds the tokens written to
        // the cache and those read from it, which are reported apart (and absent when no cache
        // was used), so the prompt count is their sum and the reads are its cached part.
        var written = OptionalCount(usage, "cache_creation_input_tokens", anomalies);
        var read = OptionalCount(usage, "cache_read_input_tokens", anomalies);
        var prompt = (int)Math.Min((long)input + written + read, int.MaxValue);

        var text = string.Concat(content.EnumerateArray()
            .Where(block => block.ValueKind == JsonValueKind.Object
                && block.TryGetProperty("type", out var type) && type.ValueEquals("text")
                && block.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
            .Select(block => block.GetProperty("text").GetString()));

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", String(body, "id") ?? "");
            writer.WriteString("object", "chat.completion");
            writer.WriteNumber("created", timeProvider.GetUtcNow().ToUnixTimeSeconds());
            writer.WriteString("model", String(body, "model") ?? deploymentModel);
            writer.WriteStartArray("choices");
            writer.WriteStartObject();
            writer.WriteNumber("index", 0);
            writer.WriteStartObject("message");
            writer.WriteString("role", "assistant");
            writer.WriteString("content", text);
            writer.WriteEndObject();
            writer.WriteString("finish_reason", FinishReason(String(body, "stop_reason")));
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteStartObject("usage");
            writer.WriteNumber("prompt_tokens", prompt);
            writer.WriteNumber("completion_tokens", output);
            writer.WriteNumber("total_tokens", (long)prompt + output);
            writer.WriteStartObject("prompt_tokens_details");
            writer.WriteNumber("cached_tokens", read);
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        // The translated body holds the counts as read, so the anomalies are this read's, not the chat reader's.
        using var completion = JsonDocument.Parse(buffer.ToArray());
        var chat = _chat.Read(completion.RootElement);
        return anomalies.Count == 0 || chat.Error != ErrorKind.None ? chat : chat with { Anomalies = anomalies };
    }

    /// <summary>OpenAI's <c>finish_reason</c> for an Anthropic <c>stop_reason</c>.</summary>
    internal static string FinishReason(string? stopReason) => stopReason switch
    {
        "max_tokens" or "model_context_window_exceeded" => "length",
        "tool_use" => "tool_calls",
        "refusal" => "content_filter",
        // end_turn, stop_sequence, pause_turn: the model stopped on its own.
        _ => "stop",
    };

    private static int OptionalCount(JsonElement usage, string name, List<ProviderAnomaly> anomalies) =>
        JsonFields.TryGetCount(usage, name, out var count, anomalies) ? count : 0;

    private static string? String(JsonElement owner, string name) =>
        owner.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static CompletionRead Malformed(string why) =>
        CompletionRead.Failure(ErrorKind.MalformedResponse, $"The provider's answer is not an Anthropic message: {why}.");
}
