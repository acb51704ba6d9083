using Dispatcher.Consumers;
using Dispatcher.Contracts;

namespace Dispatcher.Tests.Consumers;

public sealed class SinceReceivedTests
{
    [Fact]
    public void ProviderSaidItsTime_CountsFromThatLongBeforeTheAnswer()
    {
        // 400 ms on the way to the provider (a slow connection, a loaded worker), 50 ms there.
        CompletionAttemptedConsumer.SinceReceived(Outcome(latencyMs: 480, providerMs: 50)).ShouldBe(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void ProviderSaidNothing_CountsFromTheWorkersStart()
    {
        CompletionAttemptedConsumer.SinceReceived(Outcome(latencyMs: 480, providerMs: null)).ShouldBe(TimeSpan.FromMilliseconds(480));
    }

    [Theory]
    [InlineData(900.0, 480.0)] // more than the whole call: the call as the worker saw it bounds it
    [InlineData(-1.0, 480.0)] // nonsense: as if the provider said nothing
    public void ProviderTimeOutOfRange_NeverCountsFromBeforeTheWorkersStart(double providerMs, double expectedMs)
    {
        CompletionAttemptedConsumer.SinceReceived(Outcome(latencyMs: 480, providerMs)).ShouldBe(TimeSpan.FromMilliseconds(expectedMs));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-5.0)]
    [InlineData(double.NaN)]
    public void NoPositiveLatency_CountsFromNow(double latencyMs)
    {
        CompletionAttemptedConsumer.SinceReceived(Outcome(latencyMs, providerMs: null)).ShouldBe(TimeSpan.Zero);
    }

    private static CompletionAttempted Outcome(double latencyMs, double? providerMs) =>
        new(Guid.NewGuid(), "d", 1, ErrorKind.None, 200, null, null, latencyMs, ProviderMs: providerMs);
}
