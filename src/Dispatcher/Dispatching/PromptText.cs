using System.Text.Json;
using Dispatcher.Contracts;

namespace Dispatcher.Dispatching;

/// <summary>
/// What of a request body is prompt, by endpoint: the text pieces a tokenizer would read, the
/// token ids a body already gives as tokens, and the number of chat-style items (messages, input
/// items) whose framing adds tokens of its own. Images, audio and files count nothing here; the
/// provider's usage prices them when the reservation is settled.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>/v1/chat/completions</c>: each message's <c>content</c> (text, or its text parts).</item>
/// <item><c>/v1/responses</c>: <c>instructions</c>, and <c>input</c> (text, or items with text content).</item>
/// <item><c>/v1/embeddings</c>, <c>/v1/moderations</c>: <c>input</c> — text, an array of texts, token
/// ids, arrays of token ids, or (moderations) parts with <c>text</c>.</item>
/// <item><c>/v1/completions</c>: <c>prompt</c>, in the same shapes.</item>
/// </list>
/// </remarks>
public sealed class PromptText
{
    private readonly List<string> _texts = [];

    private PromptText()
    {
    }

    /// <summary>The text pieces to count.</summary>
    public IReadOnlyList<string> Texts => _texts;

    /// <summary>Tokens the body gives as token ids (embeddings and completions accept them).</summary>
    public long TokenIds { get; private set; }

    /// <summary>Chat messages or Responses input items, each framed by a few tokens of the format.</summary>
    public int Items { get; private set; }

    /// <summary>The prompt of <paramref name="body"/>, a request for <paramref name="url"/>.</summary>
    public static PromptText Of(JsonElement body, string url)
    {
        var prompt = new PromptText();
        if (body.ValueKind != JsonValueKind.Object)
        {
            return prompt;
        }

        switch (url)
        {
            case Endpoints.Embeddings or Endpoints.Moderations:
                prompt.AddInputs(Property(body, "input"));
                break;
            case Endpoints.Completions:
                prompt.AddInputs(Property(body, "prompt"));
                break;
            case Endpoints.Responses:
                prompt.AddText(Property(body, "instructions"));
                prompt.AddResponsesInput(Property(body, "input"));
                break;
            default:
                prompt.AddMessages(Property(body, "messages"));
                break;
        }

        return prompt;
    }

    private static JsonElement Property(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) ? value : default;

    private void AddMessages(JsonElement messages)
    {
        if (messages.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        foreach (var message in messages.EnumerateArray())
        {
            Items++;
            if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("content", out var content))
            {
                AddContent(content);
            }
        }
    }

    // A Responses input is text, or items: messages (role and content) and others (function call
    // outputs…), whose text fields count.
    private void AddResponsesInput(JsonElement input)
    {
        if (input.ValueKind != JsonValueKind.Array)
        {
            AddText(input);
            return;
        }

        foreach (var item in input.EnumerateArray())
        {
            Items++;
            if (item.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            if (item.TryGetProperty("content", out var content))
            {
                AddContent(content);
            }
            else if (item.TryGetProperty("output", out var output))
            {
                AddText(output);
            }
        }
    }

    // Text, or an array of texts, token ids, token id arrays or text parts.
    private void AddInputs(JsonElement input)
    {
        if (input.ValueKind != JsonValueKind.Array)
        {
            AddText(input);
            return;
        }

        foreach (var element in input.EnumerateArray())
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Number:
                    TokenIds++;
                    break;
                case JsonValueKind.Array:
                    TokenIds += element.GetArrayLength();
                    break;
                case JsonValueKind.Object:
                    AddText(Property(element, "text"));
                    break;
                default:
                    AddText(element);
                    break;
            }
        }
    }

    // Message content: text, or parts of which those with text count.
    private void AddContent(JsonElement content)
    {
        if (content.ValueKind != JsonValueKind.Array)
        {
            AddText(content);
            return;
        }

        foreach (var part in content.EnumerateArray())
        {
            if (part.ValueKind == JsonValueKind.Object)
            {
                AddText(Property(part, "text"));
            }
        }
    }

    private void AddText(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text)
        {
            _texts.Add(text);
        }
    }
}
