using Dispatcher.Reservations;
using Dispatcher.Contracts;
using Dispatcher.Quotas;

namespace Dispatcher.Tests.Quotas;

public sealed class CallTimingTests
{
    private static readonly TimeSpan Padding = TimeSpan.FromMilliseconds(100);

    [Fact]
    public void ProviderSaidItsTime_ReceivedThatLongBeforeTheAnswer_PaddingPlaysNoPart()
    {
        // 400 ms on the way to the provider (a slow connection, a loaded worker), 50 ms there.
        Timing(latencyMs: 480, providerMs: 50).SinceReceived(Padding).ShouldBe(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void ProviderSaidNothing_ReceivedThePaddingAfterTheWorkersStart()
    {
        Timing(latencyMs: 480, providerMs: null).SinceReceived(Padding).ShouldBe(TimeSpan.FromMilliseconds(380));
    }

    [Fact]
    public void ProviderSaidNothing_CallShorterThanThePadding_ReceivedNoLaterThanTheAnswer()
    {
        Timing(latencyMs: 30, providerMs: null).SinceReceived(Padding).ShouldBe(TimeSpan.Zero);
    }

    [Theory]
    [InlineData(900.0, 480.0)] // more than the whole call: the call as the worker saw it bounds it
    [InlineData(-1.0, 380.0)] // nonsense: as if the provider said nothing
    [InlineData(double.NaN, 380.0)]
    public void ProviderTimeOutOfRange_NeverBeforeTheWorkersStart(double providerMs, double expectedMs)
    {
        Timing(latencyMs: 480, providerMs).SinceReceived(Padding).ShouldBe(TimeSpan.FromMilliseconds(expectedMs));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-5.0)]
    [InlineData(double.NaN)]
    public void NoPositiveLatency_ReceivedNow(double latencyMs)
    {
        Timing(latencyMs, providerMs: null).SinceReceived(Padding).ShouldBe(TimeSpan.Zero);
        Timing(latencyMs, providerMs: 20).SinceReceived(Padding).ShouldBe(TimeSpan.Zero);
    }

    private static CallTiming Timing(double latencyMs, double? providerMs) =>
        AttemptReservations.Timing(new CompletionAttempted(Guid.NewGuid(), "d", 1, ErrorKind.None, 200, null, null, latencyMs, ProviderMs: providerMs));
}
