using Dispatcher.Retries;

namespace Dispatcher.Tests.Retries;

public sealed class RetryDelayLadderTests
{
    [Theory]
    [InlineData(0.1, 250)]
    [InlineData(0.25, 250)]
    [InlineData(0.26, 500)]
    [InlineData(0.8, 1_000)]
    [InlineData(4, 4_000)]
    [InlineData(4.1, 5_000)]
    [InlineData(13, 15_000)]
    [InlineData(60, 60_000)]
    [InlineData(100_000, 3_600_000)]
    public void StepFor_RoundsUpToTheNextDelayQueue(double seconds, int expectedMs) =>
        RetryDelayLadder.StepFor(TimeSpan.FromSeconds(seconds)).TotalMilliseconds.ShouldBe(expectedMs);

    [Fact]
    public void QueueName_NamesStepsInMillisecondsOrSeconds()
    {
        RetryDelayLadder.QueueName(TimeSpan.FromMilliseconds(250)).ShouldBe("dispatcher-delay-250ms");
        RetryDelayLadder.QueueName(TimeSpan.FromSeconds(15)).ShouldBe("dispatcher-delay-15s");
    }
}
