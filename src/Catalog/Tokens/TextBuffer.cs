using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Dispatcher.Catalog.Tokens;

/// <summary>
/// A pooled character buffer that JSON strings are decoded into, so a request's texts are counted
/// without a string per message: a string with no escapes is decoded straight from the document's
/// UTF-8 bytes. One lives for one count, on one thread.
/// </summary>
internal struct TextBuffer : IDisposable
{
    private char[]? _chars;

    /// <summary>The characters appended since the last <see cref="Clear"/>.</summary>
    public int Length { get; private set; }

    /// <summary>The text held.</summary>
    public readonly ReadOnlySpan<char> Text => _chars is null ? default : _chars.AsSpan(0, Length);

    public void Clear() => Length = 0;

    /// <summary>Appends the text of <paramref name="value"/> when it is a JSON string; anything else appends nothing.</summary>
    public void Append(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            return;
        }

        // The raw value is the quoted, escaped text; one without a backslash is its own text.
        var raw = JsonMarshal.GetRawUtf8Value(value);
        raw = raw.Length >= 2 ? raw[1..^1] : default;
        if (raw.IndexOf((byte)'\\') < 0)
        {
            AppendUtf8(raw);
            return;
        }

        Append(Decoded(value).AsSpan());
    }

    /// <summary>
    /// The text of a JSON string. One holding an escaped lone surrogate (<c>"\ud800"</c>: valid
    /// JSON, not valid Unicode, so <see cref="JsonElement.GetString"/> throws) is its escaped text
    /// as written, which weighs about what a provider would count for it.
    /// </summary>
    public static string Decoded(JsonElement value)
    {
        try
        {
            return value.GetString() ?? "";
        }
        catch (InvalidOperationException)
        {
            var raw = JsonMarshal.GetRawUtf8Value(value);
            return Encoding.UTF8.GetString(raw.Length >= 2 ? raw[1..^1] : default);
        }
    }

    /// <summary>A property's name, as <see cref="Decoded(JsonElement)"/> reads a string.</summary>
    public static string Decoded(JsonProperty property)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException)
        {
            return Encoding.UTF8.GetString(JsonMarshal.GetRawUtf8PropertyName(property));
        }
    }

    /// <summary>
    /// Appends <paramref name="value"/> as compact JSON with only the escapes JSON requires (quote,
    /// backslash, control characters), whatever spacing and escaping it was written with: the same
    /// schema then weighs the same whether a client wrote it with spaces, a serializer indented it
    /// (MassTransit's does, so every body that crossed the bus arrives indented) or a writer
    /// escaped its apostrophes and non-ASCII letters as <c>\uXXXX</c>.
    /// </summary>
    public void AppendJson(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                Append('{');
                var firstProperty = true;
                foreach (var property in value.EnumerateObject())
                {
                    if (!firstProperty)
                    {
                        Append(',');
                    }

                    firstProperty = false;
                    if (!TryAppendQuoted(JsonMarshal.GetRawUtf8PropertyName(property)))
                    {
                        AppendQuoted(Decoded(property));
                    }

                    Append(':');
                    AppendJson(property.Value);
                }

                Append('}');
                break;
            case JsonValueKind.Array:
                Append('[');
                var firstItem = true;
                foreach (var item in value.EnumerateArray())
                {
                    if (!firstItem)
                    {
                        Append(',');
                    }

                    firstItem = false;
                    AppendJson(item);
                }

                Append(']');
                break;
            case JsonValueKind.String:
                var raw = JsonMarshal.GetRawUtf8Value(value);
                if (!TryAppendQuoted(raw.Length >= 2 ? raw[1..^1] : default))
                {
                    AppendQuoted(Decoded(value));
                }

                break;
            case JsonValueKind.Undefined:
                break;
            default:
                // Numbers, true, false and null: their text as written has no spacing to drop.
                AppendUtf8(JsonMarshal.GetRawUtf8Value(value));
                break;
        }
    }

    // A name or string as written, quoted, when it was written without a backslash: it then holds
    // nothing JSON must escape. False, appending nothing, when it has escapes to decode.
    private bool TryAppendQuoted(ReadOnlySpan<byte> escaped)
    {
        if (escaped.IndexOf((byte)'\\') >= 0)
        {
            return false;
        }

        Append('"');
        AppendUtf8(escaped);
        Append('"');
        return true;
    }

    // Decoded text, quoted and escaped again with only what JSON requires.
    private void AppendQuoted(ReadOnlySpan<char> text)
    {
        Append('"');
        foreach (var c in text)
        {
            AppendEscaped(c);
        }

        Append('"');
    }

    private void AppendEscaped(char c)
    {
        switch (c)
        {
            case '"' or '\\':
                Append('\\');
                Append(c);
                break;
            case '\n':
                Append("\\n");
                break;
            case '\r':
                Append("\\r");
                break;
            case '\t':
                Append("\\t");
                break;
            case < ' ':
                Append("\\u00");
                Append("0123456789abcdef"[c >> 4]);
                Append("0123456789abcdef"[c & 0xF]);
                break;
            default:
                Append(c);
                break;
        }
    }

    /// <summary>Appends the characters of <paramref name="utf8"/>.</summary>
    public void AppendUtf8(ReadOnlySpan<byte> utf8)
    {
        Reserve(Encoding.UTF8.GetMaxCharCount(utf8.Length));
        Length += Encoding.UTF8.GetChars(utf8, _chars.AsSpan(Length));
    }

    public void Append(ReadOnlySpan<char> text)
    {
        Reserve(text.Length);
        text.CopyTo(_chars.AsSpan(Length));
        Length += text.Length;
    }

    public void Append(char c)
    {
        Reserve(1);
        _chars![Length++] = c;
    }

    /// <summary>Drops a final <paramref name="c"/>, if the text ends with one.</summary>
    public void TrimEnd(char c)
    {
        if (Length > 0 && _chars![Length - 1] == c)
        {
            Length--;
        }
    }

    public void Dispose()
    {
        if (_chars is not null)
        {
            ArrayPool<char>.Shared.Return(_chars);
            _chars = null;
        }
    }

    private void Reserve(int more)
    {
        var needed = Length + more;
        if (_chars is not null && needed <= _chars.Length)
        {
            return;
        }

        var grown = ArrayPool<char>.Shared.Rent(Math.Max(needed, Math.Max(256, (_chars?.Length ?? 0) * 2)));
        if (_chars is not null)
        {
            _chars.AsSpan(0, Length).CopyTo(grown);
            ArrayPool<char>.Shared.Return(_chars);
        }

        _chars = grown;
    }
}
