using System.Buffers;
using System.Diagnostics;

namespace Dispatcher.Batches;

/// <summary>
/// Splits a stream into lines with one bounded buffer. StreamReader.ReadLineAsync would
/// decode to UTF-16, allocate a string per line and buffer a 50 MB line whole before anyone
/// could reject it; here a line over the limit is skipped as it streams past and only its
/// length is kept.
/// </summary>
internal sealed class JsonlLineSplitter : IDisposable
{
    /// <summary>How much is asked of the stream per read; also how often progress is reported.</summary>
    public const int DefaultReadChunkBytes = 128 * 1024;

    // The longest line the buffer holds before it first grows.
    private const int InitialLineBytes = 1024 * 1024;

    private readonly Stream _stream;
    private readonly int _maxLineBytes;
    private readonly int _readChunkBytes;
    private readonly IProgress<long>? _progress;
    private byte[] _buffer;

    // _buffer[_start.._end) holds bytes not yet handed out; _buffer[_start.._scanned) is known
    // to hold no '\n', so a line that arrives over several reads is not searched twice.
    private int _start;
    private int _end;
    private int _scanned;
    private bool _endOfStream;
    private bool _bomChecked;
    private long _bytesRead;
    private int _lineStart;
    private int _lineLength;

    /// <summary>Creates a splitter over <paramref name="stream"/>; the caller keeps ownership of the stream.</summary>
    /// <param name="stream">The stream to read, from its current position.</param>
    /// <param name="maxLineBytes">The longest line handed out whole, not counting its terminator.</param>
    /// <param name="progress">Told the total bytes read from the stream after every read.</param>
    /// <param name="readChunkBytes">Bytes asked of the stream per read; small values let tests split lines across reads.</param>
    public JsonlLineSplitter(Stream stream, int maxLineBytes, IProgress<long>? progress = null, int readChunkBytes = DefaultReadChunkBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLineBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(readChunkBytes);
        _stream = stream;
        _maxLineBytes = maxLineBytes;
        _readChunkBytes = readChunkBytes;
        _progress = progress;

        // Room for a line of up to 1 MiB, a "\r\n" and one more read; the buffer grows only for a
        // longer line (up to the limit), so a limit of tens of MiB, which base64 images need,
        // costs its memory only to files that hold such lines.
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Min(maxLineBytes, InitialLineBytes) + 2 + readChunkBytes);
    }

    /// <summary>The 1-based number of the current line; blank and oversized lines are counted too.</summary>
    public int LineNumber { get; private set; }

    /// <summary>
    /// When the current line is over the limit, its length in bytes (without terminator);
    /// otherwise 0. An oversized line has no <see cref="Line"/>: its bytes were never kept.
    /// </summary>
    public long OversizedLength { get; private set; }

    /// <summary>The current line without its "\n" or "\r\n"; valid until the next <see cref="MoveNextAsync"/>.</summary>
    public ReadOnlySpan<byte> Line => _buffer.AsSpan(_lineStart, _lineLength);

    /// <summary>
    /// Whether the current line holds only JSON whitespace. Blank lines carry no request but
    /// keep their number, so errors point at the line an editor shows.
    /// </summary>
    public bool IsBlank => OversizedLength == 0 && Line.IndexOfAnyExcept(" \t\r"u8) < 0;

    /// <summary>Total bytes read from the stream so far.</summary>
    public long BytesRead => _bytesRead;

    /// <summary>Moves to the next line; false at the end of the stream.</summary>
    public async ValueTask<bool> MoveNextAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_buffer.Length == 0, this);
        if (!_bomChecked)
        {
            await SkipByteOrderMarkAsync(ct).ConfigureAwait(false);
        }

        while (true)
        {
            var newline = _buffer.AsSpan(_scanned, _end - _scanned).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var lineEnd = _scanned + newline;
                SetLine(_start, lineEnd);
                _start = _scanned = lineEnd + 1;
                return true;
            }

            _scanned = _end;
            if (_endOfStream)
            {
                if (_start == _end)
                {
                    return false;
                }

                // The last line may lack a terminator.
                SetLine(_start, _end);
                _start = _scanned = _end;
                return true;
            }

            // At MaxLineBytes + 2 bytes without '\n' the line is over the limit even if the
            // last byte is the '\r' of a "\r\n"; stop buffering it.
            if (_end - _start >= _maxLineBytes + 2)
            {
                await SkipOversizedLineAsync(ct).ConfigureAwait(false);
                return true;
            }

            await FillAsync(ct).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_buffer.Length != 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    private void SetLine(int start, int end)
    {
        LineNumber++;
        var length = end - start;
        if (length > 0 && _buffer[end - 1] == (byte)'\r')
        {
            length--;
        }

        // A line that fits the buffer can still be over the limit: the buffer holds a read
        // chunk more than the longest line.
        if (length > _maxLineBytes)
        {
            OversizedLength = length;
            _lineStart = _lineLength = 0;
            return;
        }

        OversizedLength = 0;
        _lineStart = start;
        _lineLength = length;
    }

    private async ValueTask SkipOversizedLineAsync(CancellationToken ct)
    {
        LineNumber++;
        long length = _end - _start;
        var lastWasCarriageReturn = _buffer[_end - 1] == (byte)'\r';
        _start = _end = _scanned = 0;
        while (true)
        {
            await FillAsync(ct).ConfigureAwait(false);
            if (_endOfStream && _end == 0)
            {
                // The file ends inside the long line; a trailing '\r' there is part of the line.
                break;
            }

            var newline = _buffer.AsSpan(0, _end).IndexOf((byte)'\n');
            if (newline < 0)
            {
                length += _end;
                lastWasCarriageReturn = _buffer[_end - 1] == (byte)'\r';
                _end = 0;
                continue;
            }

            length += newline;
            if (newline > 0 ? _buffer[newline - 1] == (byte)'\r' : lastWasCarriageReturn)
            {
                length--;
            }

            _start = _scanned = newline + 1;
            break;
        }

        OversizedLength = length;
        _lineStart = _lineLength = 0;
    }

    private async ValueTask SkipByteOrderMarkAsync(CancellationToken ct)
    {
        // A stream may hand out fewer bytes than asked, so gather three before judging.
        while (_end < 3 && !_endOfStream)
        {
            await FillAsync(ct).ConfigureAwait(false);
        }

        if (_buffer.AsSpan(0, _end).StartsWith("\uFEFF"u8))
        {
            _start = _scanned = 3;
        }

        _bomChecked = true;
    }

    private async ValueTask FillAsync(CancellationToken ct)
    {
        if (_buffer.Length - _end < _readChunkBytes && _start > 0)
        {
            // Move the unfinished line to the front; it is at most MaxLineBytes + 1 bytes, so
            // the copy is bounded and happens at most once per read.
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _scanned -= _start;
            _start = 0;
        }

        if (_buffer.Length - _end < _readChunkBytes)
        {
            // A line longer than the buffer holds, still within the limit (MoveNextAsync stops
            // buffering at the limit): double the buffer, never past what a longest line needs.
            var grown = ArrayPool<byte>.Shared.Rent(Math.Min(Math.Max(_buffer.Length * 2, _end + _readChunkBytes), _maxLineBytes + 2 + _readChunkBytes));
            _buffer.AsSpan(0, _end).CopyTo(grown);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = grown;
        }

        var count = Math.Min(_readChunkBytes, _buffer.Length - _end);
        Debug.Assert(count > 0, "the buffer always has room for a read once the pending line is moved to the front");
        var read = await _stream.ReadAsync(_buffer.AsMemory(_end, count), ct).ConfigureAwait(false);
        if (read == 0)
        {
            _endOfStream = true;
            return;
        }

        _end += read;
        _bytesRead += read;
        _progress?.Report(_bytesRead);
    }
}
