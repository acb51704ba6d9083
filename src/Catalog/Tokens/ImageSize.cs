using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Dispatcher.Catalog.Tokens;

/// <summary>
/// The width and height of an image sent inline as a base64 data URL
/// (<c>data:image/png;base64,…</c>), read from its header: PNG, GIF, WebP and JPEG. Only the
/// start of the data is decoded (a PNG, GIF or WebP header sits in its first 30 bytes; a JPEG's
/// frame header follows its metadata segments, so up to <see cref="MaxJpegHeaderBytes"/> are
/// read), never the whole image. An image named by an http(s) URL is not fetched.
/// </summary>
public static class ImageSize
{
    /// <summary>How far into a JPEG its frame header (SOF) is looked for, in decoded bytes.</summary>
    public const int MaxJpegHeaderBytes = 256 * 1024;

    private const int SmallHeaderBytes = 30;

    /// <summary>
    /// Reads the size of the image <paramref name="url"/> (a JSON string) holds when it is a base64
    /// data URL of a PNG, GIF, WebP or JPEG image with a readable header; false otherwise, and for
    /// any other URL.
    /// </summary>
    public static bool TryRead(JsonElement url, out int width, out int height)
    {
        width = height = 0;
        if (url.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        // The raw JSON text, without allocating the string: base64 needs no escapes, so a URL
        // written with some (an escaped '/') is left uncounted rather than decoded.
        var raw = JsonMarshal.GetRawUtf8Value(url);
        if (raw.Length >= 2 && raw[0] == (byte)'"')
        {
            raw = raw[1..^1];
        }

        return TryRead(raw, out width, out height);
    }

    /// <summary>As <see cref="TryRead(JsonElement, out int, out int)"/>, on the URL's UTF-8 text.</summary>
    public static bool TryRead(ReadOnlySpan<byte> url, out int width, out int height)
    {
        width = height = 0;
        var comma = url.IndexOf((byte)',');
        if (comma < 0 || !StartsWith(url, "data:"u8) || !EndsWith(url[..comma], ";base64"u8))
        {
            return false;
        }

        var data = url[(comma + 1)..];
        Span<byte> small = stackalloc byte[SmallHeaderBytes + 3];
        var head = Decode(data, SmallHeaderBytes, small);
        if (TryPng(head, out width, out height) || TryGif(head, out width, out height) || TryWebP(head, out width, out height))
        {
            return true;
        }

        if (head.Length < 2 || head[0] != 0xFF || head[1] != 0xD8)
        {
            return false;
        }

        // A JPEG's frame header usually sits in its first kilobytes; past large metadata (an
        // embedded thumbnail) it may take more. Only a JPEG takes a buffer that large.
        var buffer = ArrayPool<byte>.Shared.Rent(MaxJpegHeaderBytes + 3);
        try
        {
            return TryJpeg(Decode(data, 8 * 1024, buffer), out width, out height)
                || TryJpeg(Decode(data, MaxJpegHeaderBytes, buffer), out width, out height);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static bool StartsWith(ReadOnlySpan<byte> text, ReadOnlySpan<byte> prefix) =>
        text.Length >= prefix.Length && Ascii.EqualsIgnoreCase(text[..prefix.Length], prefix);

    private static bool EndsWith(ReadOnlySpan<byte> text, ReadOnlySpan<byte> suffix) =>
        text.Length >= suffix.Length && Ascii.EqualsIgnoreCase(text[^suffix.Length..], suffix);

    // Decodes about `bytes` bytes from the start of the base64 text (whole 4-character groups).
    private static ReadOnlySpan<byte> Decode(ReadOnlySpan<byte> base64, int bytes, Span<byte> buffer)
    {
        var chars = Math.Min(base64.Length, ((bytes + 2) / 3) * 4);
        chars -= chars % 4;
        return Base64.DecodeFromUtf8(base64[..chars], buffer, out _, out var written) == OperationStatus.Done ? buffer[..written] : default;
    }

    private static bool TryPng(ReadOnlySpan<byte> d, out int width, out int height)
    {
        width = height = 0;
        ReadOnlySpan<byte> signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        if (d.Length < 24 || !d[..8].SequenceEqual(signature) || !d.Slice(12, 4).SequenceEqual("IHDR"u8))
        {
            return false;
        }

        width = BinaryPrimitives.ReadInt32BigEndian(d.Slice(16, 4));
        height = BinaryPrimitives.ReadInt32BigEndian(d.Slice(20, 4));
        return width > 0 && height > 0;
    }

    private static bool TryGif(ReadOnlySpan<byte> d, out int width, out int height)
    {
        width = height = 0;
        if (d.Length < 10 || !(d[..6].SequenceEqual("GIF87a"u8) || d[..6].SequenceEqual("GIF89a"u8)))
        {
            return false;
        }

        width = BinaryPrimitives.ReadUInt16LittleEndian(d.Slice(6, 2));
        height = BinaryPrimitives.ReadUInt16LittleEndian(d.Slice(8, 2));
        return width > 0 && height > 0;
    }

    private static bool TryWebP(ReadOnlySpan<byte> d, out int width, out int height)
    {
        width = height = 0;
        if (d.Length < 30 || !d[..4].SequenceEqual("RIFF"u8) || !d.Slice(8, 4).SequenceEqual("WEBP"u8))
        {
            return false;
        }

        var chunk = d.Slice(12, 4);
        if (chunk.SequenceEqual("VP8X"u8))
        {
            // Canvas width and height minus one, 24 bits each, little-endian.
            width = 1 + (d[24] | (d[25] << 8) | (d[26] << 16));
            height = 1 + (d[27] | (d[28] << 8) | (d[29] << 16));
        }
        else if (chunk.SequenceEqual("VP8 "u8) && d[23] == 0x9D && d[24] == 0x01 && d[25] == 0x2A)
        {
            width = BinaryPrimitives.ReadUInt16LittleEndian(d.Slice(26, 2)) & 0x3FFF;
            height = BinaryPrimitives.ReadUInt16LittleEndian(d.Slice(28, 2)) & 0x3FFF;
        }
        else if (chunk.SequenceEqual("VP8L"u8) && d[20] == 0x2F)
        {
            var bits = BinaryPrimitives.ReadUInt32LittleEndian(d.Slice(21, 4));
            width = 1 + (int)(bits & 0x3FFF);
            height = 1 + (int)((bits >> 14) & 0x3FFF);
        }

        return width > 0 && height > 0;
    }

    private static bool TryJpeg(ReadOnlySpan<byte> d, out int width, out int height)
    {
        width = height = 0;
        var i = 2;
        while (i + 4 <= d.Length)
        {
            if (d[i] != 0xFF)
            {
                return false;
            }

            var marker = d[i + 1];
            if (marker == 0xFF)
            {
                i++; // fill byte
                continue;
            }

            if (marker is 0xD8 or 0x01 or (>= 0xD0 and <= 0xD7))
            {
                i += 2; // markers without a length
                continue;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(d.Slice(i + 2, 2));
            // Start of frame: baseline, progressive, lossless and their arithmetic-coded forms
            // (C0-CF but C4 DHT, C8 JPG and CC DAC).
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                if (i + 9 > d.Length)
                {
                    return false;
                }

                height = BinaryPrimitives.ReadUInt16BigEndian(d.Slice(i + 5, 2));
                width = BinaryPrimitives.ReadUInt16BigEndian(d.Slice(i + 7, 2));
                return width > 0 && height > 0;
            }

            if (marker is 0xD9 or 0xDA || length < 2)
            {
                return false; // end of image or start of scan before any frame header
            }

            i += 2 + length;
        }

        return false;
    }
}
