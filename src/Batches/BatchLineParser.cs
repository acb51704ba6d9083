using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Dispatcher.Contracts;

namespace Dispatcher.Batches;

/// <summary>
/// Checks one line against the OpenAI Batch input format with a forward-only
/// <see cref="Utf8JsonReader"/>: no DOM and no strings for a valid line, so the validator
/// keeps up with a million-line file. The validator and the reader share it so both passes
/// judge a line the same way.
/// </summary>
/// <remarks>
/// One instance is reused for every line; its scratch buffers are the only state that
/// outlives a line. Not thread-safe.
/// </remarks>
internal sealed class BatchLineParser
{
    /// <summary>The endpoints a line may name, in the order error messages list them.</summary>
    public static string SupportedUrls { get; } = Endpoints.List(Endpoints.All);

    private const int MaxQuotedValueChars = 40;

    private readonly List<BatchFileError> _errors = [];
    private byte[] _customId = new byte[64];
    private byte[] _model = new byte[64];
    private int _customIdLength;
    private int _modelLength;
    private int _bodyStart;
    private int _bodyLength;
    private int _lineNumber;
    private string? _url;

    [Flags]
    private enum Seen
    {
        None = 0,
        CustomId = 1,
        Method = 2,
        Url = 4,
        Body = 8,
        Model = 16,
        Messages = 32,
        MaxTokens = 64,
        MaxCompletionTokens = 128,
        Input = 256,
        Prompt = 512,
        MaxOutputTokens = 1024,
    }

    // The body fields a line needs, by endpoint. Found while the body is read; judged once the
    // whole line is read, as the url may come after the body.
    private Seen _bodySeen;

    /// <summary>The errors of the last line parsed; empty when it is valid.</summary>
    public IReadOnlyList<BatchFileError> Errors => _errors;

    /// <summary>
    /// Whether the last line had a usable custom_id: a non-empty string in well-formed JSON.
    /// Such a line takes part in duplicate detection even when other fields are wrong.
    /// </summary>
    public bool HasCustomId { get; private set; }

    /// <summary>The unescaped UTF-8 bytes of the last line's custom_id, when <see cref="HasCustomId"/>.</summary>
    public ReadOnlySpan<byte> CustomId => _customId.AsSpan(0, _customIdLength);

    /// <summary>
    /// The unescaped UTF-8 bytes of the last valid line's body.model: its model group. A moderation
    /// line without a model is in the group of <see cref="Endpoints.DefaultModerationModel"/>.
    /// </summary>
    public ReadOnlySpan<byte> Model => _modelLength > 0 || _url != Endpoints.Moderations
        ? _model.AsSpan(0, _modelLength)
        : "omni-moderation-latest"u8;

    /// <summary>The last valid line's url: one of the shared strings of <see cref="Endpoints.All"/>.</summary>
    public string Url => _url ?? Endpoints.ChatCompletions;

    /// <summary>Where the last valid line's body object lies within that line.</summary>
    public Range Body => new(_bodyStart, _bodyStart + _bodyLength);

    /// <summary>Parses <paramref name="line"/>; true when it is a valid request.</summary>
    public bool Parse(ReadOnlySpan<byte> line, int lineNumber)
    {
        _errors.Clear();
        _lineNumber = lineNumber;
        HasCustomId = false;
        _customIdLength = _modelLength = _bodyStart = _bodyLength = 0;
        _url = null;
        _bodySeen = Seen.None;

        // Checked up front because the JSON reader does not validate the UTF-8 inside strings,
        // and a NUL means a binary file whose JSON error would only confuse.
        if (line.Contains((byte)0))
        {
            AddError("json", "line contains NUL bytes; the file looks binary, not JSONL");
            return false;
        }

        if (!Utf8.IsValid(line))
        {
            AddError("json", $"line is not valid UTF-8 (first bad byte at offset {FirstInvalidUtf8Offset(line)})");
            return false;
        }

        try
        {
            ParseObject(line);
        }
        catch (JsonException ex)
        {
            // Field errors found before the JSON broke off describe a line we could not read whole.
            _errors.Clear();
            HasCustomId = false;
            AddError("json", $"malformed JSON: {Describe(ex)}");
        }

        return _errors.Count == 0;
    }

    private void ParseObject(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            AddError("json", $"line must be a JSON object, found {DescribeValue(ref reader)}");
            reader.Skip();
            reader.Read();
            return;
        }

        var seen = Seen.None;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("custom_id"u8))
            {
                if (Once(ref seen, Seen.CustomId, "custom_id"))
                {
                    ReadCustomId(ref reader);
                    continue;
                }
            }
            else if (reader.ValueTextEquals("method"u8))
            {
                if (Once(ref seen, Seen.Method, "method"))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String || !reader.ValueTextEquals("POST"u8))
                    {
                        AddError("method", $"must be \"POST\", found {DescribeValue(ref reader)}");
                    }

                    reader.Skip();
                    continue;
                }
            }
            else if (reader.ValueTextEquals("url"u8))
            {
                if (Once(ref seen, Seen.Url, "url"))
                {
                    reader.Read();
                    _url = reader.TokenType == JsonTokenType.String ? KnownUrl(ref reader) : null;
                    if (_url is null)
                    {
                        AddError("url", $"{DescribeValue(ref reader)} is not supported; supported urls: {SupportedUrls}");
                    }

                    reader.Skip();
                    continue;
                }
            }
            else if (reader.ValueTextEquals("body"u8))
            {
                if (Once(ref seen, Seen.Body, "body"))
                {
                    ReadBody(ref reader);
                    continue;
                }
            }

            // Unknown fields are ignored, as the OpenAI Batch API does; repeated ones were reported.
            reader.Read();
            reader.Skip();
        }

        // Past the closing brace only whitespace may follow; the reader throws otherwise.
        reader.Read();

        if (!Has(seen, Seen.CustomId))
        {
            AddError("custom_id", "is required");
        }

        if (!Has(seen, Seen.Method))
        {
            AddError("method", "is required and must be \"POST\"");
        }

        if (!Has(seen, Seen.Url))
        {
            AddError("url", $"is required; supported urls: {SupportedUrls}");
        }

        if (!Has(seen, Seen.Body))
        {
            AddError("body", "is required and must be a JSON object");
        }
        else if (_url is not null && _bodyLength > 0)
        {
            // Which fields a body needs depends on its url; with no usable url there is nothing to
            // judge them by, and the url's own error says what to fix first.
            RequireBodyFields(_url);
        }
    }

    private void RequireBodyFields(string url)
    {
        // Moderations alone name a default model (OpenAI's); every other endpoint needs one to route by.
        if (!Has(_bodySeen, Seen.Model) && url != Endpoints.Moderations)
        {
            AddError("body.model", "is required");
        }

        switch (url)
        {
            case Endpoints.ChatCompletions when !Has(_bodySeen, Seen.Messages):
                AddError("body.messages", "is required and must be a non-empty array");
                break;
            case Endpoints.Embeddings or Endpoints.Responses or Endpoints.Moderations when !Has(_bodySeen, Seen.Input):
                AddError("body.input", $"is required for {url}: a non-empty string or array");
                break;
            case Endpoints.Completions when !Has(_bodySeen, Seen.Prompt):
                AddError("body.prompt", $"is required for {url}: a non-empty string or array");
                break;
        }
    }

    // The url as one of the shared strings of Endpoints.All, compared against the raw JSON value
    // without making a string of it.
    private static string? KnownUrl(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("/v1/chat/completions"u8) ? Endpoints.ChatCompletions
        : reader.ValueTextEquals("/v1/embeddings"u8) ? Endpoints.Embeddings
        : reader.ValueTextEquals("/v1/completions"u8) ? Endpoints.Completions
        : reader.ValueTextEquals("/v1/responses"u8) ? Endpoints.Responses
        : reader.ValueTextEquals("/v1/moderations"u8) ? Endpoints.Moderations
        : null;

    private void ReadCustomId(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.String)
        {
            AddError("custom_id", $"must be a string, found {DescribeValue(ref reader)}");
            reader.Skip();
            return;
        }

        var length = CopyString(ref reader, ref _customId);
        if (length == 0)
        {
            AddError("custom_id", "must not be empty");
            return;
        }

        _customIdLength = length;
        HasCustomId = true;
    }

    private void ReadBody(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            AddError("body", $"must be a JSON object, found {DescribeValue(ref reader)}");
            reader.Skip();
            return;
        }

        var start = (int)reader.TokenStartIndex;
        var seen = Seen.None;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("model"u8))
            {
                if (Once(ref seen, Seen.Model, "body.model"))
                {
                    ReadModel(ref reader);
                    continue;
                }
            }
            else if (reader.ValueTextEquals("messages"u8))
            {
                if (Once(ref seen, Seen.Messages, "body.messages"))
                {
                    ReadMessages(ref reader);
                    continue;
                }
            }
            else if (reader.ValueTextEquals("max_tokens"u8))
            {
                if (Once(ref seen, Seen.MaxTokens, "body.max_tokens"))
                {
                    ReadTokenLimit(ref reader, "body.max_tokens");
                    continue;
                }
            }
            else if (reader.ValueTextEquals("max_completion_tokens"u8))
            {
                if (Once(ref seen, Seen.MaxCompletionTokens, "body.max_completion_tokens"))
                {
                    ReadTokenLimit(ref reader, "body.max_completion_tokens");
                    continue;
                }
            }
            else if (reader.ValueTextEquals("max_output_tokens"u8))
            {
                if (Once(ref seen, Seen.MaxOutputTokens, "body.max_output_tokens"))
                {
                    ReadTokenLimit(ref reader, "body.max_output_tokens");
                    continue;
                }
            }
            else if (reader.ValueTextEquals("input"u8))
            {
                if (Once(ref seen, Seen.Input, "body.input"))
                {
                    ReadTextOrArray(ref reader, "body.input");
                    continue;
                }
            }
            else if (reader.ValueTextEquals("prompt"u8))
            {
                if (Once(ref seen, Seen.Prompt, "body.prompt"))
                {
                    ReadTextOrArray(ref reader, "body.prompt");
                    continue;
                }
            }

            else if (reader.ValueTextEquals("stream"u8))
            {
                // A batch job's result is one response body; a streamed answer (server-sent
                // events) has none to record, so every such job would fail at the provider.
                reader.Read();
                if (reader.TokenType == JsonTokenType.True)
                {
                    AddError("body.stream", "must be false or absent: a batch job's result is one response, not a stream");
                }

                reader.Skip();
                continue;
            }

            // The rest of the body (temperature, tools, response_format…) is the provider's to judge.
            reader.Read();
            reader.Skip();
        }

        _bodyStart = start;
        _bodyLength = (int)reader.BytesConsumed - start;
        _bodySeen = seen;
    }

    // An embeddings, moderations or Responses input, or a completions prompt: text, or a non-empty
    // array (of strings, token ids, token arrays or input items: the provider judges the elements).
    private void ReadTextOrArray(ref Utf8JsonReader reader, string field)
    {
        reader.Read();
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                if (reader.ValueSpan.IsEmpty)
                {
                    AddError(field, "must not be empty");
                }

                break;
            case JsonTokenType.StartArray:
                var count = 0;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    reader.Skip();
                    count++;
                }

                if (count == 0)
                {
                    AddError(field, "must be a non-empty string or array, found an empty array");
                }

                return;
            default:
                AddError(field, $"must be a non-empty string or array, found {DescribeValue(ref reader)}");
                break;
        }

        reader.Skip();
    }

    private void ReadModel(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.String)
        {
            AddError("body.model", $"must be a string, found {DescribeValue(ref reader)}");
            reader.Skip();
            return;
        }

        _modelLength = CopyString(ref reader, ref _model);
        if (_modelLength == 0)
        {
            AddError("body.model", "must not be empty");
        }
    }

    private void ReadMessages(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            AddError("body.messages", $"must be a non-empty array, found {DescribeValue(ref reader)}");
            reader.Skip();
            return;
        }

        var count = 0;
        var reported = false;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            // One complaint per line is enough to point the user at the array.
            if (reader.TokenType != JsonTokenType.StartObject && !reported)
            {
                AddError("body.messages", $"element {count} must be an object, found {DescribeValue(ref reader)}");
                reported = true;
            }

            reader.Skip();
            count++;
        }

        if (count == 0)
        {
            AddError("body.messages", "must be a non-empty array, found an empty array");
        }
    }

    private void ReadTokenLimit(ref Utf8JsonReader reader, string field)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var value) || value <= 0)
        {
            AddError(field, $"must be a positive integer, found {DescribeValue(ref reader)}");
        }

        reader.Skip();
    }

    private bool Once(ref Seen seen, Seen field, string name)
    {
        // A repeated key is ambiguous: readers differ on whether the first or the last wins.
        if (Has(seen, field))
        {
            AddError(name, "appears more than once");
            return false;
        }

        seen |= field;
        return true;
    }

    // Enum.HasFlag boxes until the JIT's optimizing tier replaces it; a bit test never allocates.
    private static bool Has(Seen seen, Seen field) => (seen & field) != 0;

    private void AddError(string field, string message) => _errors.Add(new BatchFileError(_lineNumber, field, message));

    private static int CopyString(ref Utf8JsonReader reader, ref byte[] scratch)
    {
        // Unescaping only shortens a string, so the raw length is enough room.
        var raw = reader.ValueSpan;
        if (scratch.Length < raw.Length)
        {
            scratch = new byte[Math.Max(raw.Length, scratch.Length * 2)];
        }

        if (!reader.ValueIsEscaped)
        {
            raw.CopyTo(scratch);
            return raw.Length;
        }

        return reader.CopyString(scratch);
    }

    private static string DescribeValue(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => Quote(reader.GetString() ?? ""),
        JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan),
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        _ => reader.TokenType.ToString(),
    };

    private static string Quote(string value) =>
        value.Length <= MaxQuotedValueChars
            ? $"\"{value}\""
            : $"\"{value[..MaxQuotedValueChars]}…\"";

    private static string Describe(JsonException ex)
    {
        // The reader's message ends with a position relative to the line ("LineNumber: 0 |
        // BytePositionInLine: 17."), which reads like a file line number; keep only the byte.
        var message = ex.Message;
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut >= 0)
        {
            message = message[..cut];
        }

        return ex.BytePositionInLine is { } position ? $"{message} (at byte {position})" : message;
    }

    private static int FirstInvalidUtf8Offset(ReadOnlySpan<byte> line)
    {
        var offset = 0;
        while (offset < line.Length)
        {
            if (Rune.DecodeFromUtf8(line[offset..], out _, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                return offset;
            }

            offset += consumed;
        }

        return offset;
    }
}
