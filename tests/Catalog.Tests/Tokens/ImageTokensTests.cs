using Dispatcher.Catalog.Tokens;

namespace Dispatcher.Catalog.Tests.Tokens;

public sealed class ImageTokensTests
{
    // OpenAI's documented examples: 1024 × 1024 is 4 tiles (765); 2048 × 4096 scales to 1024 × 2048,
    // then 768 × 1536, 6 tiles (1105); 4096 × 8192 the same; a small image is one tile (255).
    [Theory]
    [InlineData(1024, 1024, 765)]
    [InlineData(2048, 4096, 1105)]
    [InlineData(4096, 8192, 1105)]
    [InlineData(512, 512, 255)]
    [InlineData(300, 200, 255)]
    public void HighDetail_DocumentedSizes_CountByTiles(int width, int height, int expected) =>
        ImageTokens.HighDetail(width, height).ShouldBe(expected);

    [Theory]
    [InlineData("low", 85)]
    [InlineData("LOW", 85)]
    [InlineData("high", 765)]
    [InlineData("", 765)]
    public void ForDetail_UnknownSize_IsLowOrAHighDetail1024Square(string detail, int expected) =>
        ImageTokens.ForDetail(detail).ShouldBe(expected);
}
