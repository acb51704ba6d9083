namespace Dispatcher.Catalog.Tokens;

/// <summary>
/// The prompt tokens of one image, by OpenAI's documented tile rule for gpt-4o-class models: a
/// low-detail image costs 85 tokens; a high-detail one is scaled to fit 2048 × 2048, then so
/// that its shortest side is 768, and costs 170 per 512-pixel tile plus 85.
/// </summary>
/// <remarks>
/// An inline image's size is read from its header (<see cref="ImageSize"/>). An image named by
/// an http(s) URL is not fetched: fetching every image at intake would cost far more than the
/// estimate is worth, so one whose detail is not <c>low</c> is counted as a high-detail
/// 1024 × 1024 image, 765 tokens (a larger image is scaled to a 768-pixel shortest side, so only a
/// long, narrow one costs more; a smaller one costs less). The reservation is settled against the
/// provider's usage either way.
/// </remarks>
public static class ImageTokens
{
    /// <summary>The tokens of a low-detail image, whatever its size.</summary>
    public const int LowDetail = 85;

    /// <summary>The width and height assumed for an image whose size is unknown.</summary>
    public const int AssumedSide = 1024;

    private const int BaseTokens = 85;
    private const int TileTokens = 170;
    private const int Tile = 512;
    private const double MaxSide = 2048;
    private const double ShortSide = 768;

    /// <summary>The tokens of an image of unknown size sent with <paramref name="detail"/> (<c>low</c>, <c>high</c>, <c>auto</c> or none).</summary>
    public static int ForDetail(ReadOnlySpan<char> detail) =>
        detail.Equals("low", StringComparison.OrdinalIgnoreCase) ? LowDetail : HighDetail(AssumedSide, AssumedSide);

    /// <summary>The tokens of a <paramref name="width"/> × <paramref name="height"/> image at high detail.</summary>
    public static int HighDetail(int width, int height)
    {
        if (width <= 0 || height <= 0)
        {
            return BaseTokens;
        }

        double w = width, h = height;
        if (Math.Max(w, h) > MaxSide)
        {
            var fit = MaxSide / Math.Max(w, h);
            w *= fit;
            h *= fit;
        }

        if (Math.Min(w, h) > ShortSide)
        {
            var shrink = ShortSide / Math.Min(w, h);
            w *= shrink;
            h *= shrink;
        }

        var tiles = (long)Math.Ceiling(w / Tile) * (long)Math.Ceiling(h / Tile);
        return (int)Math.Min(int.MaxValue, (tiles * TileTokens) + BaseTokens);
    }
}
