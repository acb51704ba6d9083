using Dispatcher.Ledger;
using Dispatcher.Quotas;
using Dispatcher.Submitter.Cli;

namespace Dispatcher.Submitter.Tests.Cli;

public sealed class ProgressTextTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 22, 49, 43, TimeSpan.Zero);

    private static readonly BatchStatus Running = new("b", 1000, null, "2026-01-01T22:40:00Z", 0, 92, 900, 8, 0, 0, 0);

    [Fact]
    public void Finished_NoPause_SaysOnlyTheCounts()
    {
        ProgressText.Finished(Running, [], Now, TimeZoneInfo.Utc).ShouldBe("finished (900 ok, 8 failed, 92 in flight)");
    }

    [Fact]
    public void Finished_DeploymentPaused_SaysWhatTheJobsWaitFor()
    {
        var pauses = new[] { new DeploymentPause("sim-east", Now.AddSeconds(30), "429 Retry-After 30 s", 12) };

        ProgressText.Finished(Running, pauses, Now, TimeZoneInfo.Utc).ShouldBe(
            "finished (900 ok, 8 failed, 92 in flight)  waiting: sim-east paused by the provider until 22:50:13 (429 Retry-After 30 s), 12 jobs waiting");
    }

    [Fact]
    public void Line_DeploymentPaused_AppendsThePauseToThePlainLine()
    {
        var pauses = new[] { new DeploymentPause("sim-east", Now.AddSeconds(30), "429 Retry-After 30 s", 0) };

        var line = ProgressText.Line(TimeSpan.FromSeconds(100), 1000, 1000, Running, pauses, Now, TimeZoneInfo.Utc);

        line.ShouldBe(
            "[01:40] submitted 1000/1000  finished 908/1000 (900 ok, 8 failed, 92 in flight)  9 jobs/s  ETA 00:00:11  waiting: sim-east paused by the provider until 22:50:13 (429 Retry-After 30 s)");
    }

    [Theory]
    [InlineData(250, 1000, 10.0, "  ETA 00:01:15")]
    [InlineData(0, 1000, 0.0, "")]
    [InlineData(1000, 1000, 50.0, "")]
    public void Eta_RateAndJobsLeft_SaysWhenTheBatchEnds(long finished, long total, double rate, string expected)
    {
        ProgressText.Eta(finished, total, rate).ShouldBe(expected);
    }

    [Fact]
    public void Waiting_PauseOverOrTwoPaused_NamesOnlyThoseStillPausedInTheGivenZone()
    {
        var zone = TimeZoneInfo.CreateCustomTimeZone("plus-two", TimeSpan.FromHours(2), "plus-two", "plus-two");
        var pauses = new[]
        {
            new DeploymentPause("over", Now, "429 Retry-After 1 s", 3),
            new DeploymentPause("sim-east", Now.AddSeconds(30), "429 Retry-After 30 s", 1),
            new DeploymentPause("sim-west", Now.AddSeconds(5), null, 0),
        };

        ProgressText.Waiting(pauses, Now, zone).ShouldBe(
            "  waiting: sim-east paused by the provider until 00:50:13 (429 Retry-After 30 s), 1 job waiting; sim-west paused by the provider until 00:49:48");
    }
}
