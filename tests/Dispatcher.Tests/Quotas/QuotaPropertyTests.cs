using Dispatcher.Quotas;

namespace Dispatcher.Tests.Quotas;

/// <summary>
/// For random job streams of random sizes, arriving at random moments and settling at random
/// later moments for less than they reserved, no window of the configured length ever holds
/// more requests or tokens than the deployment allows.
/// </summary>
public sealed class QuotaPropertyTests
{
    [Theory]
    [InlineData(1, 60, 10_000, 0.1)]
    [InlineData(2, 600, 90_000, 0.02)]
    [InlineData(3, 30, 4_000, 1.0)]
    [InlineData(4, 1000, 50_000, 0.5)]
    [InlineData(5, 5, 100_000, 0.2)]
    public void Admissions_RandomStream_NeverExceedAnyWindow(int seed, int rpm, int tpm, double burst)
    {
        const double window = 60;
        var random = new Random(seed);
        var quota = new DeploymentQuota(rpm, tpm, burst, window, 0);
        var admitted = new List<(double At, int Tokens)>();
        var pending = new List<(long Seq, double SettleAt, int Reserved, int Actual, int Index)>();
        var now = 0.0;
        long sequence = 0;

        for (var step = 0; step < 20_000; step++)
        {
            now += random.NextDouble() * window / 200;
            for (var i = pending.Count - 1; i >= 0; i--)
            {
                if (pending[i].SettleAt <= now)
                {
                    quota.Settle(pending[i].Seq, pending[i].Reserved, pending[i].Actual, now);
                    admitted[pending[i].Index] = (admitted[pending[i].Index].At, pending[i].Actual);
                    pending.RemoveAt(i);
                }
            }

            var reserve = 1 + random.Next(Math.Max(1, tpm / 20));
            if (quota.CanAfford(reserve, now))
            {
                quota.Reserve(++sequence, reserve, now);
                var actual = random.Next(reserve + 1);
                pending.Add((sequence, now + (random.NextDouble() * window / 4), reserve, actual, admitted.Count));
                admitted.Add((now, reserve));
            }
        }

        admitted.Count.ShouldBeGreaterThan(rpm, "the stream must press against the limit for the property to mean anything");
        // Every window that ends at an admission is the worst case of its neighbours.
        var start = 0;
        long tokens = 0;
        for (var end = 0; end < admitted.Count; end++)
        {
            tokens += admitted[end].Tokens;
            while (admitted[start].At <= admitted[end].At - window)
            {
                tokens -= admitted[start].Tokens;
                start++;
            }

            (end - start + 1).ShouldBeLessThanOrEqualTo(rpm, $"requests in the window ending at {admitted[end].At:F3}");
            tokens.ShouldBeLessThanOrEqualTo(tpm, $"tokens in the window ending at {admitted[end].At:F3}");
        }
    }
}
