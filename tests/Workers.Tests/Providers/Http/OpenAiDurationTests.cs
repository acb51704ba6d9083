using Dispatcher.Workers.Providers.Http;

namespace Dispatcher.Workers.Tests.Providers.Http;

public sealed class OpenAiDurationTests
{
    [Theory]
    [InlineData("1s", 1_000)]
    [InlineData("6m0s", 360_000)]
    [InlineData("250ms", 250)]
    [InlineData("0.5s", 500)]
    [InlineData("2m59.56s", 179_560)]
    [InlineData("1h2m3.5s", 3_723_500)]
    [InlineData("1500us", 1.5)]
    public void TryParse_GoDuration_ReturnsDuration(string text, double expectedMilliseconds)
    {
        OpenAiDuration.TryParse(text, out var duration).ShouldBeTrue();

        duration.ShouldBe(TimeSpan.FromMilliseconds(expectedMilliseconds));
    }

    [Theory]
    [InlineData("9999999999999999999h")]
    [InlineData("99999999999999999999999999999999999999999999999999s")]
    [InlineData("106751991167300h")]
    public void TryParse_BeyondTimeSpan_SaturatesAtMaxValue(string text)
    {
        OpenAiDuration.TryParse(text, out var duration).ShouldBeTrue();

        duration.ShouldBe(TimeSpan.MaxValue);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("s")]
    [InlineData("1x")]
    [InlineData("1s5")]
    [InlineData("soon")]
    [InlineData("2030-01-01T00:00:00Z")]
    public void TryParse_NotADuration_ReturnsFalse(string text)
    {
        OpenAiDuration.TryParse(text, out _).ShouldBeFalse();
    }
}
