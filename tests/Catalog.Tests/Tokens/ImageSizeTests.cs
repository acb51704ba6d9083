using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Dispatcher.Catalog.Tokens;
using Dispatcher.Contracts;

namespace Dispatcher.Catalog.Tests.Tokens;

public sealed class ImageSizeTests
{
    private static string DataUrl(string mime, byte[] bytes) => $"data:{mime};base64,{Convert.ToBase64String(bytes)}";

    private static JsonElement Json(string url) => JsonSerializer.SerializeToElement(url);

    // The signature and IHDR chunk of a PNG (then some IDAT bytes, never read).
    private static byte[] Png(int width, int height)
    {
        var bytes = new byte[64];
        new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }.CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), 13);
        "IHDR"u8.CopyTo(bytes.AsSpan(12));
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(20), height);
        bytes[24] = 8; // bit depth
        bytes[25] = 6; // RGBA
        return bytes;
    }

    private static byte[] Gif(int width, int height)
    {
        var bytes = new byte[32];
        "GIF89a"u8.CopyTo(bytes);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(6), (ushort)width);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)height);
        return bytes;
    }

    private static byte[] WebPExtended(int width, int height)
    {
        var bytes = new byte[40];
        "RIFF"u8.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), 32);
        "WEBP"u8.CopyTo(bytes.AsSpan(8));
        "VP8X"u8.CopyTo(bytes.AsSpan(12));
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(16), 10);
        WriteUInt24(bytes.AsSpan(24), width - 1);
        WriteUInt24(bytes.AsSpan(27), height - 1);
        return bytes;

        static void WriteUInt24(Span<byte> to, int value)
        {
            to[0] = (byte)value;
            to[1] = (byte)(value >> 8);
            to[2] = (byte)(value >> 16);
        }
    }

    private static byte[] WebPLossless(int width, int height)
    {
        var bytes = new byte[40];
        "RIFF"u8.CopyTo(bytes);
        "WEBP"u8.CopyTo(bytes.AsSpan(8));
        "VP8L"u8.CopyTo(bytes.AsSpan(12));
        bytes[20] = 0x2F;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(21), (uint)(width - 1) | ((uint)(height - 1) << 14));
        return bytes;
    }

    // SOI, a JFIF APP0, an APP1 of `metadata` bytes (where a camera puts its Exif and thumbnail),
    // a quantisation table, then the baseline frame header with the size.
    private static byte[] Jpeg(int width, int height, int metadata = 0, byte frame = 0xC0)
    {
        var s = new MemoryStream();
        s.Write([0xFF, 0xD8]);
        Segment(0xE0, [.. "JFIF\0"u8, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
        if (metadata > 0)
        {
            Segment(0xE1, new byte[metadata]);
        }

        Segment(0xDB, new byte[65]);
        var sof = new byte[15];
        sof[0] = 8;
        BinaryPrimitives.WriteUInt16BigEndian(sof.AsSpan(1), (ushort)height);
        BinaryPrimitives.WriteUInt16BigEndian(sof.AsSpan(3), (ushort)width);
        sof[5] = 3;
        Segment(frame, sof);
        Segment(0xDA, new byte[10]);
        s.Write([0x12, 0x34, 0xFF, 0xD9]);
        return s.ToArray();

        void Segment(byte marker, byte[] payload)
        {
            s.Write([0xFF, marker]);
            var length = new byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)(payload.Length + 2));
            s.Write(length);
            s.Write(payload);
        }
    }

    public static TheoryData<string, byte[], int, int> Images() => new()
    {
        { "image/png", Png(2048, 4096), 2048, 4096 },
        { "image/gif", Gif(320, 200), 320, 200 },
        { "image/webp", WebPExtended(1920, 1080), 1920, 1080 },
        { "image/webp", WebPLossless(640, 4000), 640, 4000 },
        { "image/jpeg", Jpeg(4032, 3024), 4032, 3024 },
        { "image/jpeg", Jpeg(800, 6000, frame: 0xC2), 800, 6000 },
        { "image/jpeg", Jpeg(1200, 900, metadata: 40_000), 1200, 900 },
    };

    [Theory]
    [MemberData(nameof(Images))]
    public void TryRead_InlineImage_ReadsItsSizeFromTheHeader(string mime, byte[] bytes, int width, int height)
    {
        ImageSize.TryRead(Json(DataUrl(mime, bytes)), out var w, out var h).ShouldBeTrue();

        (w, h).ShouldBe((width, height));
    }

    [Theory]
    [InlineData("https://example.com/photo.png")]
    [InlineData("data:image/png,not-base64")]
    [InlineData("data:image/png;base64,")]
    [InlineData("data:image/png;base64,!!!!")]
    [InlineData("data:text/plain;base64,aGVsbG8gd29ybGQsIHRoaXMgaXMgbm90IGFuIGltYWdlIGF0IGFsbA==")]
    public void TryRead_NotAnInlineImageItCanRead_IsFalse(string url) =>
        ImageSize.TryRead(Json(url), out _, out _).ShouldBeFalse();

    [Fact]
    public void TryRead_JpegCutBeforeItsFrameHeader_IsFalse()
    {
        var whole = Jpeg(1000, 1000, metadata: 1000);
        var cut = whole[..900];

        ImageSize.TryRead(Json(DataUrl("image/jpeg", cut)), out _, out _).ShouldBeFalse();
    }

    [Fact]
    public void TryRead_NotAString_IsFalse() =>
        ImageSize.TryRead(JsonSerializer.SerializeToElement(new { url = "x" }), out _, out _).ShouldBeFalse();

    [Theory]
    [InlineData(2048, 4096, 1105)] // fit to 1024 x 2048, then 768 x 1536: 2 x 3 tiles
    [InlineData(512, 512, 255)] // one tile
    [InlineData(768, 2048, 1445)] // 2 x 4 tiles: more than the 765 assumed for an image of unknown size
    public void Count_InlineImageAtHighDetail_CountsItsOwnTiles(int width, int height, int imageTokens)
    {
        var counter = PromptCounters.Shared.Named(TokenizerNames.O200kBase);
        var url = DataUrl("image/png", Png(width, height));
        var withImage = JsonDocument.Parse(
            """{"messages":[{"role":"user","content":[{"type":"text","text":"What is in this image?"},{"type":"image_url","image_url":{"url":""" + JsonSerializer.Serialize(url) + ""","detail":"high"}}]}]}""").RootElement;
        var textOnly = JsonDocument.Parse("""{"messages":[{"role":"user","content":[{"type":"text","text":"What is in this image?"}]}]}""").RootElement;

        (counter.Count(withImage, Endpoints.ChatCompletions) - counter.Count(textOnly, Endpoints.ChatCompletions)).ShouldBe(imageTokens);
    }

    [Fact]
    public void Count_ResponsesInlineImage_CountsItsOwnTiles()
    {
        var counter = PromptCounters.Shared.Named(TokenizerNames.O200kBase);
        var url = JsonSerializer.Serialize(DataUrl("image/png", Png(768, 2048)));
        var withImage = JsonDocument.Parse("""{"input":[{"role":"user","content":[{"type":"input_text","text":"Describe"},{"type":"input_image","image_url":""" + url + "}]}]}").RootElement;
        var textOnly = JsonDocument.Parse("""{"input":[{"role":"user","content":[{"type":"input_text","text":"Describe"}]}]}""").RootElement;

        (counter.Count(withImage, Endpoints.Responses) - counter.Count(textOnly, Endpoints.Responses)).ShouldBe(1445);
    }

    [Fact]
    public void TryRead_LowercaseAndUppercaseScheme_BothRead()
    {
        var url = DataUrl("image/png", Png(10, 20)).Replace("data:", "DATA:", StringComparison.Ordinal).Replace(";base64", ";BASE64", StringComparison.Ordinal);

        ImageSize.TryRead(Encoding.UTF8.GetBytes(url), out var w, out var h).ShouldBeTrue();
        (w, h).ShouldBe((10, 20));
    }
}
