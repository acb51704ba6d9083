using Dispatcher.Submitter.Cli;

namespace Dispatcher.Submitter.Tests.Cli;

public sealed class CompletionWindowOptionTests
{
    [Theory]
    [InlineData("24h", 24 * 3600)]
    [InlineData("90m", 90 * 60)]
    [InlineData("30s", 30)]
    [InlineData("2d", 2 * 86400)]
    [InlineData("1.5h", 5400)]
    [InlineData("00:00:05", 5)]
    public void TryParse_Duration_Window(string text, double seconds) =>
        CompletionWindowOption.TryParse(text).ShouldBe(TimeSpan.FromSeconds(seconds));

    [Theory]
    [InlineData("")]
    [InlineData("0s")]
    [InlineData("-1h")]
    [InlineData("24x")]
    [InlineData("00:00:00")]
    [InlineData("soon")]
    public void TryParse_NotAPositiveDuration_Null(string text) =>
        CompletionWindowOption.TryParse(text).ShouldBeNull();
}
