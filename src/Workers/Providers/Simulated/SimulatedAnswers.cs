using System.Buffers;
using System.Text;
using System.Text.Json;
using Dispatcher.Contracts;

namespace Dispatcher.Workers.Providers.Simulated;

/// <summary>
/// The bodies the simulated provider answers with, one shape per endpoint, as OpenAI's API
/// answers them: a chat completion, a text completion, a Responses API response, embeddings (with
/// prompt tokens only in their usage) and moderation results (with no usage, as OpenAI's).
/// </summary>
/// <param name="DeploymentId">The simulated deployment, named in the answers' text.</param>
/// <param name="EmbeddingDimensions">The vector length when the request asks for none.</param>
internal sealed record SimulatedAnswers(string DeploymentId, int EmbeddingDimensions)
{
    private static readonly string[] Words =
        ["the", "batch", "queue", "answer", "token", "model", "route", "quota", "result", "simulated"];

    private static readonly string[] ModerationCategories =
        ["harassment", "hate", "self-harm", "sexual", "violence"];

    // The largest vector a request may ask for with "dimensions", as text-embedding-3-large's.
    private const int MaxRequestedDimensions = 3072;

    /// <summary>The answer to <paramref name="request"/> at <paramref name="createdUnixSeconds"/>.</summary>
    public JsonElement For(ProviderRequest request, string model, TokenUsage usage, string requestId, long createdUnixSeconds)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            switch (request.Url)
            {
                case Endpoints.Embeddings:
                    Embeddings(w, request.Body, model, usage);
                    break;
                case Endpoints.Moderations:
                    Moderations(w, request.Body, model, requestId);
                    break;
                case Endpoints.Completions:
                    TextCompletion(w, model, usage, requestId, createdUnixSeconds, request.MaxTokens);
                    break;
                case Endpoints.Responses:
                    Response(w, model, usage, requestId, createdUnixSeconds, request.MaxTokens);
                    break;
                default:
                    ChatCompletion(w, model, usage, requestId, createdUnixSeconds, request.MaxTokens);
                    break;
            }
        }

        return JsonDocument.Parse(buffer.WrittenMemory).RootElement;
    }

    /// <summary>Whether the endpoint produces tokens (a completion) rather than vectors or scores.</summary>
    public static bool Generates(string url) => url is not (Endpoints.Embeddings or Endpoints.Moderations);

    private string Text(int tokens)
    {
        var content = new StringBuilder("Simulated answer from ").Append(DeploymentId).Append(':');
        for (var i = 0; i < tokens; i++)
        {
            content.Append(' ').Append(Words[i % Words.Length]);
        }

        return content.ToString();
    }

    private static string FinishReason(TokenUsage usage, int maxTokens) => usage.CompletionTokens >= maxTokens ? "length" : "stop";

    private void ChatCompletion(Utf8JsonWriter w, string model, TokenUsage usage, string requestId, long created, int maxTokens)
    {
        w.WriteStartObject();
        w.WriteString("id", "chatcmpl-" + requestId);
        w.WriteString("object", "chat.completion");
        w.WriteNumber("created", created);
        w.WriteString("model", model);
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("message");
        w.WriteString("role", "assistant");
        w.WriteString("content", Text(usage.CompletionTokens));
        w.WriteEndObject();
        w.WriteString("finish_reason", FinishReason(usage, maxTokens));
        w.WriteEndObject();
        w.WriteEndArray();
        WriteUsage(w, usage);
        w.WriteEndObject();
    }

    private void TextCompletion(Utf8JsonWriter w, string model, TokenUsage usage, string requestId, long created, int maxTokens)
    {
        w.WriteStartObject();
        w.WriteString("id", "cmpl-" + requestId);
        w.WriteString("object", "text_completion");
        w.WriteNumber("created", created);
        w.WriteString("model", model);
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteString("text", Text(usage.CompletionTokens));
        w.WriteNumber("index", 0);
        w.WriteNull("logprobs");
        w.WriteString("finish_reason", FinishReason(usage, maxTokens));
        w.WriteEndObject();
        w.WriteEndArray();
        WriteUsage(w, usage);
        w.WriteEndObject();
    }

    private void Response(Utf8JsonWriter w, string model, TokenUsage usage, string requestId, long created, int maxTokens)
    {
        var cut = usage.CompletionTokens >= maxTokens;
        w.WriteStartObject();
        w.WriteString("id", "resp_" + requestId);
        w.WriteString("object", "response");
        w.WriteNumber("created_at", created);
        w.WriteString("status", cut ? "incomplete" : "completed");
        if (cut)
        {
            w.WriteStartObject("incomplete_details");
            w.WriteString("reason", "max_output_tokens");
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("incomplete_details");
        }

        w.WriteString("model", model);
        w.WriteStartArray("output");
        w.WriteStartObject();
        w.WriteString("type", "message");
        w.WriteString("id", "msg_" + requestId);
        w.WriteString("status", cut ? "incomplete" : "completed");
        w.WriteString("role", "assistant");
        w.WriteStartArray("content");
        w.WriteStartObject();
        w.WriteString("type", "output_text");
        w.WriteString("text", Text(usage.CompletionTokens));
        w.WriteStartArray("annotations");
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteStartObject("usage");
        w.WriteNumber("input_tokens", usage.PromptTokens);
        w.WriteNumber("output_tokens", usage.CompletionTokens);
        w.WriteNumber("total_tokens", usage.TotalTokens);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private void Embeddings(Utf8JsonWriter w, JsonElement body, string model, TokenUsage usage)
    {
        var dimensions = body.TryGetProperty("dimensions", out var d) && d.TryGetInt32(out var asked) && asked is > 0 and <= MaxRequestedDimensions
            ? asked
            : EmbeddingDimensions;
        var base64 = body.TryGetProperty("encoding_format", out var format) && format.ValueEquals("base64");
        w.WriteStartObject();
        w.WriteString("object", "list");
        w.WriteStartArray("data");
        var index = 0;
        foreach (var input in Inputs(body))
        {
            w.WriteStartObject();
            w.WriteString("object", "embedding");
            w.WriteNumber("index", index++);
            SimulatedEmbedding.Write(w, "embedding", SimulatedEmbedding.Of(input, dimensions), base64);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteString("model", model);
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", usage.PromptTokens);
        w.WriteNumber("total_tokens", usage.PromptTokens);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void Moderations(Utf8JsonWriter w, JsonElement body, string model, string requestId)
    {
        w.WriteStartObject();
        w.WriteString("id", "modr-" + requestId);
        w.WriteString("model", model);
        w.WriteStartArray("results");
        foreach (var input in Inputs(body))
        {
            // Nothing is ever flagged; the scores, small and fixed per input, only look like scores.
            var scores = SimulatedEmbedding.Of(input, ModerationCategories.Length);
            w.WriteStartObject();
            w.WriteBoolean("flagged", false);
            w.WriteStartObject("categories");
            foreach (var category in ModerationCategories)
            {
                w.WriteBoolean(category, false);
            }

            w.WriteEndObject();
            w.WriteStartObject("category_scores");
            for (var i = 0; i < ModerationCategories.Length; i++)
            {
                w.WriteNumber(ModerationCategories[i], Math.Abs(scores[i]) * 0.01);
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    // One vector or result per input: a text, a token id array, or each element of an array of
    // texts, of token id arrays, or of (moderation) parts; a token id array is keyed by its JSON.
    private static IEnumerable<string> Inputs(JsonElement body)
    {
        if (!body.TryGetProperty("input", out var input))
        {
            yield break;
        }

        if (input.ValueKind != JsonValueKind.Array)
        {
            yield return Key(input);
            yield break;
        }

        if (input.GetArrayLength() > 0 && input[0].ValueKind == JsonValueKind.Number)
        {
            yield return input.GetRawText();
            yield break;
        }

        foreach (var element in input.EnumerateArray())
        {
            yield return Key(element);
        }
    }

    private static string Key(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString()!,
        JsonValueKind.Object when element.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String => text.GetString()!,
        _ => element.GetRawText(),
    };

    private static void WriteUsage(Utf8JsonWriter w, TokenUsage usage)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", usage.PromptTokens);
        w.WriteNumber("completion_tokens", usage.CompletionTokens);
        w.WriteNumber("total_tokens", usage.TotalTokens);
        w.WriteEndObject();
    }
}
