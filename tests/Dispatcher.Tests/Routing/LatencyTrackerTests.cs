using Dispatcher.Routing;
using Dispatcher.Tests.Routing.Strategies;
using Microsoft.Extensions.Time.Testing;

namespace Dispatcher.Tests.Routing;

public sealed class LatencyTrackerTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void MsPerToken_NoSample_ReturnsNull()
    {
        var tracker = new LatencyTracker(_time);
        tracker.RecordSuccess("other", 100, 10);

        tracker.MsPerToken("a").ShouldBeNull();
    }

    [Fact]
    public void MsPerToken_SeveralSuccesses_AveragesLatencyPerOutputToken()
    {
        var tracker = new LatencyTracker(_time);

        tracker.RecordSuccess("a", latencyMs: 1000, outputTokens: 100);
        tracker.RecordSuccess("a", latencyMs: 1500, outputTokens: 50);

        tracker.MsPerToken("a").ShouldBe(20);
    }

    [Fact]
    public void RecordSuccess_ZeroOutputTokens_CountsPerCall()
    {
        var tracker = new LatencyTracker(_time);

        tracker.RecordSuccess("a", latencyMs: 50, outputTokens: 0);

        tracker.MsPerToken("a").ShouldBe(50);
    }

    [Fact]
    public void MsPerToken_DeploymentsRecordedApart_AreKeptApart()
    {
        var tracker = new LatencyTracker(_time);

        tracker.RecordSuccess("a", 100, 10);
        tracker.RecordSuccess("b", 900, 10);

        tracker.MsPerToken("a").ShouldBe(10);
        tracker.MsPerToken("b").ShouldBe(90);
    }

    [Fact]
    public void MsPerToken_SamplesAgeOutOfWindow_CountsOnlyRecentOnes()
    {
        var tracker = new LatencyTracker(_time, TimeSpan.FromMinutes(5));
        tracker.RecordSuccess("a", 100, 10);
        _time.Advance(TimeSpan.FromMinutes(3));
        tracker.RecordSuccess("a", 300, 10);

        tracker.MsPerToken("a").ShouldBe(20);

        _time.Advance(TimeSpan.FromMinutes(2));
        tracker.MsPerToken("a").ShouldBe(30);

        _time.Advance(TimeSpan.FromMinutes(3));
        tracker.MsPerToken("a").ShouldBeNull();
    }

    [Fact]
    public void MsPerToken_SampleExactlyWindowOld_IsOut()
    {
        var tracker = new LatencyTracker(_time, TimeSpan.FromSeconds(10));
        tracker.RecordSuccess("a", 100, 10);

        _time.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromTicks(1));
        tracker.MsPerToken("a").ShouldBe(10);

        _time.Advance(TimeSpan.FromTicks(1));
        tracker.MsPerToken("a").ShouldBeNull();
    }

    [Fact]
    public void MsPerToken_MoreSamplesThanKept_DropsOldest()
    {
        var tracker = new LatencyTracker(_time, TimeSpan.FromMinutes(5), maxSamples: 3);

        tracker.RecordSuccess("a", 1000, 1);
        tracker.RecordSuccess("a", 10, 1);
        tracker.RecordSuccess("a", 20, 1);
        tracker.RecordSuccess("a", 30, 1);

        tracker.MsPerToken("a").ShouldBe(20);
    }

    [Fact]
    public void RecordTimeout_NoSuccessYet_SpreadsTimeoutOverNominalTokens()
    {
        var tracker = new LatencyTracker(_time);

        tracker.RecordTimeout("a", timeoutMs: 25_600);

        tracker.MsPerToken("a").ShouldBe(25_600.0 / LatencyTracker.TimeoutNominalTokens);
    }

    [Fact]
    public void RecordTimeout_ShortTimeout_CountsAsMultipleOfAverageSuccess()
    {
        // 100 ms over 256 tokens would be 0.4 ms/token, which would make the deployment look faster.
        var tracker = new LatencyTracker(_time);
        tracker.RecordSuccess("a", 1000, 100);

        tracker.RecordTimeout("a", timeoutMs: 100);

        tracker.MsPerToken("a").ShouldBe((10 + LatencyTracker.TimeoutMultiplier * 10) / 2);
    }

    [Fact]
    public void RecordTimeout_SeveralInARow_DoNotCompound()
    {
        var tracker = new LatencyTracker(_time);
        tracker.RecordSuccess("a", 1000, 100);

        tracker.RecordTimeout("a", 100);
        tracker.RecordTimeout("a", 100);
        tracker.RecordTimeout("a", 100);

        tracker.MsPerToken("a").ShouldBe((10 + 3 * LatencyTracker.TimeoutMultiplier * 10) / 4);
    }

    [Fact]
    public void RecordTimeout_PenaltyOutOfWindow_NoLongerCounts()
    {
        var tracker = new LatencyTracker(_time, TimeSpan.FromMinutes(1));
        tracker.RecordTimeout("a", 60_000);
        _time.Advance(TimeSpan.FromSeconds(30));
        tracker.RecordSuccess("a", 100, 10);

        _time.Advance(TimeSpan.FromSeconds(31));

        tracker.MsPerToken("a").ShouldBe(10);
    }

    [Fact]
    public void RecordTimeout_FastDeploymentTimingOut_LosesToSlowerReliableOne()
    {
        var tracker = new LatencyTracker(_time);
        var strategy = new LatencyBasedStrategy();
        for (var i = 0; i < 5; i++)
        {
            tracker.RecordSuccess("fast", latencyMs: 2_000, outputTokens: 200);
            tracker.RecordSuccess("reliable", latencyMs: 4_000, outputTokens: 200);
        }

        strategy.PickId(Candidates.Request(), Scored(tracker)).ShouldBe("fast");

        tracker.RecordTimeout("fast", timeoutMs: 60_000);

        strategy.PickId(Candidates.Request(), Scored(tracker)).ShouldBe("reliable");
        tracker.MsPerToken("fast")!.Value.ShouldBeGreaterThan(tracker.MsPerToken("reliable")!.Value);
    }

    private static RoutingCandidate[] Scored(LatencyTracker tracker) =>
        [Candidates.Of("fast", latency: tracker.MsPerToken("fast")), Candidates.Of("reliable", latency: tracker.MsPerToken("reliable"))];

    [Fact]
    public void RecordSuccess_ManyThreadsManyDeployments_LosesNoDeployment()
    {
        var tracker = new LatencyTracker(_time);

        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 8 }, d =>
        {
            for (var i = 0; i < 200; i++)
            {
                tracker.RecordSuccess($"d{d}", latencyMs: d + 1, outputTokens: 1);
            }
        });

        for (var d = 0; d < 64; d++)
        {
            tracker.MsPerToken($"d{d}").ShouldBe(d + 1);
        }
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void RecordSuccess_LatencyNotAFiniteNonNegativeNumber_Throws(double latencyMs)
    {
        var tracker = new LatencyTracker(_time);

        Should.Throw<ArgumentOutOfRangeException>(() => tracker.RecordSuccess("a", latencyMs, 10));
        tracker.MsPerToken("a").ShouldBeNull();
    }

    [Fact]
    public void Constructor_WindowNotPositive_Throws()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => new LatencyTracker(_time, TimeSpan.Zero));
    }
}
