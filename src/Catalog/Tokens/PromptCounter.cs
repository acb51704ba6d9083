using System.Text.Json;
using Dispatcher.Contracts;

namespace Dispatcher.Catalog.Tokens;

/// <summary>
/// Counts a request's prompt tokens the way OpenAI's own counting does (the OpenAI Cookbook's
/// "How to count tokens with tiktoken"), with one tokenizer: text weighs what
/// <see cref="Text"/> says, and the chat format adds its framing around it.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>/v1/chat/completions</c>: 3 tokens a message, plus every string field of it (role,
/// content, name: 1 more for a name), the text parts of a content array, images by
/// <see cref="ImageTokens"/>, the name and arguments of an assistant's tool calls; 3 for the
/// reply's priming; tool (and legacy <c>functions</c>) definitions as the cookbook counts them
/// (<see cref="FunctionStart"/> a function, its <c>name:description</c>, 3 for its properties,
/// 3 and <c>name:type:description</c> a property, 3 and the text of each enum value less 3, 12 at
/// the end; nested schemas add their JSON text); a <c>response_format</c> JSON schema as the
/// tokens of its JSON text (no rule is published; the JSON is longer than what the model reads,
/// so it errs high). JSON text is counted compact and with only the escapes JSON requires,
/// whatever spacing or escapes the request was written with.</item>
/// <item><c>/v1/responses</c>: <c>instructions</c>; <c>input</c> text, or items counted as chat
/// messages (<c>function_call_output</c>'s output, <c>function_call</c>'s name and arguments);
/// 3 for the reply; tools as for chat.</item>
/// <item><c>/v1/embeddings</c>, <c>/v1/moderations</c> (<c>input</c>), <c>/v1/completions</c>
/// (<c>prompt</c>): the texts, one token per token id; no framing. Moderation images count
/// nothing (moderations are free).</item>
/// </list>
/// </remarks>
public sealed class PromptCounter
{
    /// <summary>The tokens a function definition starts with on cl100k models (and the heuristic): the cookbook's gpt-4 and gpt-3.5-turbo figure.</summary>
    public const int Cl100kFunctionStart = 10;

    /// <summary>The tokens a function definition starts with on o200k models: the cookbook's gpt-4o figure.</summary>
    public const int O200kFunctionStart = 7;

    private const int TokensPerMessage = 3;
    private const int TokensPerName = 1;
    private const int ReplyPriming = 3;
    private const int PropertiesStart = 3;
    private const int PropertyStart = 3;
    private const int EnumStart = -3;
    private const int EnumItem = 3;
    private const int FunctionsEnd = 12;

    /// <summary>A counter named <paramref name="name"/> weighing text with <paramref name="text"/>.</summary>
    public PromptCounter(string name, ITokenCounter text, int functionStart = Cl100kFunctionStart)
    {
        ArgumentNullException.ThrowIfNull(text);
        Name = name;
        Text = text;
        FunctionStart = functionStart;
    }

    /// <summary>The tokenizer's catalog name (<see cref="TokenizerNames"/>).</summary>
    public string Name { get; }

    /// <summary>What a piece of text weighs.</summary>
    public ITokenCounter Text { get; }

    /// <summary>The tokens each function definition starts with.</summary>
    public int FunctionStart { get; }

    /// <summary>The prompt tokens of <paramref name="body"/>, a request for <paramref name="url"/>; at least 1.</summary>
    public int Count(JsonElement body, string url)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return 1;
        }

        var buffer = new TextBuffer();
        try
        {
            long tokens = url switch
            {
                Endpoints.Embeddings or Endpoints.Moderations => Inputs(Property(body, "input"), ref buffer),
                Endpoints.Completions => Inputs(Property(body, "prompt"), ref buffer),
                Endpoints.Responses => String(Property(body, "instructions"), ref buffer)
                    + ResponsesInput(Property(body, "input"), ref buffer)
                    + Tools(Property(body, "tools"), ref buffer)
                    + ReplyPriming,
                _ => Messages(Property(body, "messages"), ref buffer)
                    + Tools(Property(body, "tools"), ref buffer)
                    + Tools(Property(body, "functions"), ref buffer)
                    + ResponseFormat(Property(body, "response_format"), ref buffer)
                    + ReplyPriming,
            };
            return (int)Math.Clamp(tokens, 1, int.MaxValue);
        }
        finally
        {
            buffer.Dispose();
        }
    }

    private static JsonElement Property(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : default;

    private int String(JsonElement value, ref TextBuffer buffer)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            return 0;
        }

        buffer.Clear();
        buffer.Append(value);
        return Text.Count(buffer.Text);
    }

    // The JSON text of a value, compact and unescaped as far as JSON allows, not as the request
    // wrote it: a provider reads the schema, not its spacing, and a body that crossed the bus was
    // indented by its serializer, which the worker's rewrite then drops again. Counted as written,
    // an indented tool job weighed a quarter to a half more at intake than at the provider.
    private int Json(JsonElement value, ref TextBuffer buffer)
    {
        if (value.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return 0;
        }

        buffer.Clear();
        buffer.AppendJson(value);
        return Text.Count(buffer.Text);
    }

    private long Messages(JsonElement messages, ref TextBuffer buffer)
    {
        if (messages.ValueKind != JsonValueKind.Array)
        {
            return 0;
        }

        long tokens = 0;
        foreach (var message in messages.EnumerateArray())
        {
            tokens += TokensPerMessage + Message(message, ref buffer);
        }

        return tokens;
    }

    // Every string field of a message counts (role, content, name…); a content array by its parts,
    // tool calls by their function's name and arguments.
    private long Message(JsonElement message, ref TextBuffer buffer)
    {
        if (message.ValueKind != JsonValueKind.Object)
        {
            return 0;
        }

        long tokens = 0;
        foreach (var field in message.EnumerateObject())
        {
            switch (field.Value.ValueKind)
            {
                case JsonValueKind.String:
                    tokens += String(field.Value, ref buffer) + (field.NameEquals("name") ? TokensPerName : 0);
                    break;
                case JsonValueKind.Array when field.NameEquals("content"):
                    tokens += Parts(field.Value, ref buffer);
                    break;
                case JsonValueKind.Array when field.NameEquals("tool_calls"):
                    foreach (var call in field.Value.EnumerateArray())
                    {
                        var function = Property(call, "function");
                        tokens += String(Property(function, "name"), ref buffer) + String(Property(function, "arguments"), ref buffer);
                    }

                    break;
                case JsonValueKind.Object when field.NameEquals("function_call"):
                    tokens += String(Property(field.Value, "name"), ref buffer) + String(Property(field.Value, "arguments"), ref buffer);
                    break;
            }
        }

        return tokens;
    }

    // Content parts: text, refusals and images count; audio and files are priced by the provider.
    private long Parts(JsonElement parts, ref TextBuffer buffer)
    {
        long tokens = 0;
        foreach (var part in parts.EnumerateArray())
        {
            if (part.ValueKind == JsonValueKind.String)
            {
                tokens += String(part, ref buffer);
                continue;
            }

            tokens += String(Property(part, "text"), ref buffer) + String(Property(part, "refusal"), ref buffer);
            var image = Property(part, "image_url");
            if (image.ValueKind != JsonValueKind.Undefined || Property(part, "type") is { ValueKind: JsonValueKind.String } type && type.ValueEquals("input_image"))
            {
                var url = image.ValueKind == JsonValueKind.String ? image : Property(image, "url");
                tokens += Image(Property(image, "detail").ValueKind == JsonValueKind.String ? Property(image, "detail") : Property(part, "detail"), url);
            }
        }

        return tokens;
    }

    // An inline image's size is read from its header; one named by URL counts as ImageTokens assumes.
    private static int Image(JsonElement detail, JsonElement url) =>
        detail.ValueKind == JsonValueKind.String && detail.ValueEquals("low") ? ImageTokens.LowDetail
        : ImageSize.TryRead(url, out var width, out var height) ? ImageTokens.HighDetail(width, height)
        : ImageTokens.ForDetail(default);

    private long ResponsesInput(JsonElement input, ref TextBuffer buffer)
    {
        if (input.ValueKind != JsonValueKind.Array)
        {
            return String(input, ref buffer);
        }

        long tokens = 0;
        foreach (var item in input.EnumerateArray())
        {
            tokens += TokensPerMessage;
            if (Property(item, "output") is { ValueKind: JsonValueKind.String } output)
            {
                tokens += String(output, ref buffer);
            }
            else if (Property(item, "arguments") is { ValueKind: JsonValueKind.String } arguments)
            {
                tokens += String(Property(item, "name"), ref buffer) + String(arguments, ref buffer);
            }
            else
            {
                tokens += String(Property(item, "role"), ref buffer);
                var content = Property(item, "content");
                tokens += content.ValueKind == JsonValueKind.Array ? Parts(content, ref buffer) : String(content, ref buffer);
            }
        }

        return tokens;
    }

    // Text, or an array of texts, token ids, token id arrays or parts with text.
    private long Inputs(JsonElement input, ref TextBuffer buffer)
    {
        if (input.ValueKind != JsonValueKind.Array)
        {
            return String(input, ref buffer);
        }

        long tokens = 0;
        foreach (var element in input.EnumerateArray())
        {
            tokens += element.ValueKind switch
            {
                JsonValueKind.Number => 1,
                JsonValueKind.Array => element.GetArrayLength(),
                JsonValueKind.Object => String(Property(element, "text"), ref buffer),
                _ => String(element, ref buffer),
            };
        }

        return tokens;
    }

    // Tool definitions, the cookbook's way: chat's {type, function: {…}}, Responses' flat
    // {type, name, description, parameters}, or legacy functions.
    private long Tools(JsonElement tools, ref TextBuffer buffer)
    {
        if (tools.ValueKind != JsonValueKind.Array || tools.GetArrayLength() == 0)
        {
            return 0;
        }

        long tokens = 0;
        foreach (var tool in tools.EnumerateArray())
        {
            var function = Property(tool, "function") is { ValueKind: JsonValueKind.Object } nested ? nested : tool;
            if (Property(function, "name").ValueKind != JsonValueKind.String)
            {
                // A built-in tool (file search, web search…): its definition as written.
                tokens += Json(tool, ref buffer);
                continue;
            }

            tokens += FunctionStart;
            buffer.Clear();
            buffer.Append(Property(function, "name"));
            buffer.Append(':');
            buffer.Append(Property(function, "description"));
            buffer.TrimEnd('.');
            tokens += Text.Count(buffer.Text);
            tokens += Properties(Property(Property(function, "parameters"), "properties"), ref buffer);
        }

        return tokens + FunctionsEnd;
    }

    private long Properties(JsonElement properties, ref TextBuffer buffer)
    {
        if (properties.ValueKind != JsonValueKind.Object)
        {
            return 0;
        }

        long tokens = 0;
        var any = false;
        foreach (var property in properties.EnumerateObject())
        {
            any = true;
            tokens += PropertyStart;
            var schema = property.Value;
            if (Property(schema, "enum") is { ValueKind: JsonValueKind.Array } values)
            {
                tokens += EnumStart;
                foreach (var value in values.EnumerateArray())
                {
                    tokens += EnumItem + (value.ValueKind == JsonValueKind.String ? String(value, ref buffer) : Json(value, ref buffer));
                }
            }

            buffer.Clear();
            buffer.Append(TextBuffer.Decoded(property).AsSpan());
            buffer.Append(':');
            var type = Property(schema, "type");
            if (type.ValueKind == JsonValueKind.String)
            {
                buffer.Append(type);
            }

            buffer.Append(':');
            buffer.Append(Property(schema, "description"));
            buffer.TrimEnd('.');
            tokens += Text.Count(buffer.Text);
            if (type.ValueKind != JsonValueKind.String)
            {
                tokens += Json(type, ref buffer);
            }

            // The cookbook's rule covers flat parameters; a nested object or array adds its schema's text.
            tokens += Json(Property(schema, "properties"), ref buffer) + Json(Property(schema, "items"), ref buffer);
        }

        return any ? PropertiesStart + tokens : 0;
    }

    private long ResponseFormat(JsonElement format, ref TextBuffer buffer) =>
        Property(format, "type") is { ValueKind: JsonValueKind.String } type && type.ValueEquals("json_schema")
            ? Json(Property(format, "json_schema"), ref buffer)
            : 0;
}
