using System.Text;
using Dispatcher.Batches;

namespace Dispatcher.Submitter.Tests.Batches;

public sealed class JsonlLineSplitterTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(JsonlLineSplitter.DefaultReadChunkBytes)]
    public async Task MoveNextAsync_AnyReadSize_SplitsLikeSplittingOnNewline(int readChunkBytes)
    {
        var random = new Random(1234);
        var text = new StringBuilder();
        for (var i = 0; i < 500; i++)
        {
            text.Append(new string((char)('a' + (i % 26)), random.Next(0, 40)));
            text.Append(random.Next(3) == 0 ? "\r\n" : "\n");
        }

        text.Append("tail");
        var expected = text.ToString().Split('\n').Select(l => l.TrimEnd('\r')).ToList();

        var lines = await Split(Encoding.UTF8.GetBytes(text.ToString()), maxLineBytes: 64, readChunkBytes);

        lines.ShouldBe(expected.Select((l, i) => (i + 1, l, 0L)).ToList());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(100)]
    public async Task MoveNextAsync_LinesAroundTheLimit_KeepsThoseAtItAndMeasuresThoseOver(int readChunkBytes)
    {
        var bytes = Encoding.UTF8.GetBytes("12345678\r\n123456789\r\n1234567890123\n12345678\n1234567890123456789012\r\n\r\nend");

        var lines = await Split(bytes, maxLineBytes: 8, readChunkBytes);

        lines.ShouldBe([(1, "12345678", 0L), (2, "", 9L), (3, "", 13L), (4, "12345678", 0L), (5, "", 22L), (6, "", 0L), (7, "end", 0L)]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task MoveNextAsync_LongLineEndingWithCarriageReturnAtChunkEdge_DoesNotCountIt(int readChunkBytes)
    {
        var bytes = Encoding.UTF8.GetBytes(new string('x', 30) + "\r\nnext");

        var lines = await Split(bytes, maxLineBytes: 4, readChunkBytes);

        lines.ShouldBe([(1, "", 30L), (2, "next", 0L)]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(100)]
    public async Task MoveNextAsync_ByteOrderMarkAtStart_IsSkipped(int readChunkBytes)
    {
        byte[] bytes = [.. Encoding.UTF8.Preamble, .. "a\n\uFEFFb"u8];

        var lines = await Split(bytes, maxLineBytes: 16, readChunkBytes);

        // Only the mark at the start of the stream is a BOM; later it is content for the parser to reject.
        lines.ShouldBe([(1, "a", 0L), (2, "\uFEFFb", 0L)]);
    }

    [Fact]
    public async Task MoveNextAsync_EmptyStream_HasNoLines()
    {
        (await Split([], 16, 4)).ShouldBeEmpty();
        (await Split(Encoding.UTF8.Preamble.ToArray(), 16, 4)).ShouldBeEmpty();
    }

    [Fact]
    public async Task MoveNextAsync_TrailingNewline_AddsNoEmptyLine()
    {
        var lines = await Split("a\nb\n"u8.ToArray(), 16, 4);

        lines.ShouldBe([(1, "a", 0L), (2, "b", 0L)]);
    }

    [Fact]
    public async Task MoveNextAsync_HugeLine_IsSkippedWithoutBufferingIt()
    {
        const long hugeLength = 50L * 1024 * 1024;
        using var stream = new GeneratedStream("first\n"u8.ToArray(), (byte)'a', hugeLength, "\nlast"u8.ToArray());
        using var splitter = new JsonlLineSplitter(stream, maxLineBytes: 1024 * 1024);
        var lines = new List<(int, string, long)>();

        // The stream completes every read synchronously, so the whole run stays on this thread
        // and the thread's allocation counter sees all of it.
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        while (await splitter.MoveNextAsync(CancellationToken.None))
        {
            lines.Add((splitter.LineNumber, Encoding.UTF8.GetString(splitter.Line), splitter.OversizedLength));
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        lines.ShouldBe([(1, "first", 0L), (2, "", hugeLength), (3, "last", 0L)]);
        splitter.BytesRead.ShouldBe(stream.Length);
        allocated.ShouldBeLessThan(4L * 1024 * 1024);
    }

    [Fact]
    public async Task MoveNextAsync_LineLongerThanTheFirstBufferWithinTheLimit_IsHandedOutWhole()
    {
        // 3 MiB: beyond the 1 MiB the buffer starts with, within a 4 MiB limit.
        var longLine = new string('x', 3 * 1024 * 1024);
        var lines = await Split(Encoding.UTF8.GetBytes("a\n" + longLine + "\r\nb"), 4 * 1024 * 1024, 64 * 1024);

        lines.ShouldBe([(1, "a", 0L), (2, longLine, 0L), (3, "b", 0L)]);
    }

    private static async Task<List<(int Number, string Text, long Oversized)>> Split(byte[] bytes, int maxLineBytes, int readChunkBytes)
    {
        using var stream = new MemoryStream(bytes);
        using var splitter = new JsonlLineSplitter(stream, maxLineBytes, progress: null, readChunkBytes);
        var lines = new List<(int, string, long)>();
        while (await splitter.MoveNextAsync(CancellationToken.None))
        {
            lines.Add((splitter.LineNumber, Encoding.UTF8.GetString(splitter.Line), splitter.OversizedLength));
        }

        return lines;
    }
}
