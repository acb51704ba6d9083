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

        Append(value.GetString().AsSpan());
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
