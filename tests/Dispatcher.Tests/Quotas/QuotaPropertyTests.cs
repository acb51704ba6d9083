using Dispatcher.Quotas;

namespace Dispatcher.Tests.Quotas;

/// <summary>
/// For random job streams of random sizes, arriving at random moments, no window of the
/// configured length ever holds more requests or tokens than the deployment allows — counted
/// the way the provider counts them: each admitted call reaches the provider after a random
/// wait in the worker's queue, runs for a random latency, and its outcome reaches the
/// dispatcher at some moment after that, carrying that latency. The dispatcher's window has no
/// padding here: only the latency it is told lets it know when the provider counted the call.
/// </summary>
public sealed class QuotaPropertyTests
{
    private const double Window = 60;

    [Theory]
    [InlineData(1, 60, 10_000, 0.1)]
    [InlineData(2, 600, 90_000, 0.02)]
    [InlineData(3, 30, 4_000, 1.0)]
    [InlineData(4, 1000, 50_000, 0.5)]
    [InlineData(5, 5, 100_000, 0.2)]
    [InlineData(6, 120, 6_000, 0.1)]
    public void Admissions_RandomQueueWaitAndLatency_NeverExceedTheProvidersWindow(int seed, int rpm, int tpm, double burst)
    {
        var random = new Random(seed);
        var quota = new DeploymentQuota(rpm, tpm, burst, Window, 0);
        var calls = new List<Call>();
        var pending = new List<int>();
        var now = 0.0;
        long sequence = 0;

        for (var step = 0; step < 20_000; step++)
        {
            now += random.NextDouble() * Window / 200;
            for (var i = pending.Count - 1; i >= 0; i--)
            {
                var call = calls[pending[i]];
                if (call.ReceivedAt + call.Latency <= now)
                {
                    // The outcome arrives at some moment after the call ended: the dispatcher's
                    // view of when it started is late, never early.
                    quota.Settle(call.Sequence, call.Reserved, call.Actual, TimeSpan.FromSeconds(call.Latency), now);
                    pending.RemoveAt(i);
                }
            }

            var reserve = 1 + random.Next(Math.Max(1, tpm / 20));
            if (quota.CanAfford(reserve, now))
            {
                quota.Reserve(++sequence, reserve, now);
                // Queue waits up to a third of a window, calls up to a quarter of one; a failed
                // call (no tokens used) now and then.
                var receivedAt = now + (random.NextDouble() * random.NextDouble() * Window / 3);
                var latency = random.NextDouble() * Window / 4;
                var actual = random.Next(8) == 0 ? 0 : random.Next(reserve + 1);
                pending.Add(calls.Count);
                calls.Add(new Call(sequence, receivedAt, latency, reserve, actual));
            }
        }

        calls.Count.ShouldBeGreaterThan(rpm * 5, "the stream must press against the limit for the property to mean anything");

        // The provider counts a call when it receives it. Every window that ends at a receipt is
        // the worst case of its neighbours.
        var received = calls.OrderBy(c => c.ReceivedAt).ToList();
        var start = 0;
        long tokens = 0;
        for (var end = 0; end < received.Count; end++)
        {
            tokens += received[end].Actual;
            while (received[start].ReceivedAt <= received[end].ReceivedAt - Window)
            {
                tokens -= received[start].Actual;
                start++;
            }

            (end - start + 1).ShouldBeLessThanOrEqualTo(rpm, $"requests the provider received in the window ending at {received[end].ReceivedAt:F3}");
            tokens.ShouldBeLessThanOrEqualTo(tpm, $"tokens the provider received in the window ending at {received[end].ReceivedAt:F3}");
        }
    }

    private sealed record Call(long Sequence, double ReceivedAt, double Latency, int Reserved, int Actual);
}
