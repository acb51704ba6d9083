using System.Text.RegularExpressions;
using Integration.Tests.Support;
using Xunit.Abstractions;

namespace Integration.Tests.Embedded;

// The dashboard in a real headless Chromium, against a running dispatcher that has just finished a
// batch: the page loads, every chart drew data, a deployment its provider paused shows the pause,
// and a screenshot is written for a human to look at.
public sealed partial class DashboardBrowserTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ChromiumTimeout = TimeSpan.FromSeconds(90);
    private static readonly string[] Charts =
        ["chart-queues", "chart-progress", "chart-throughput", "chart-deployments", "chart-quota", "chart-budgets", "chart-breakers", "table-queues"];

    [Fact]
    public async Task Dashboard_InHeadlessChromium_EveryChartReceivesDataAndScreenshotIsWritten()
    {
        await using var pipeline = await MonitoredPipeline.StartAsync(new
        {
            QuotaWindow = "00:00:01",
            Deployments = new[]
            {
                EmbeddedPipeline.Simulated("sim-east", latencyMs: 10),
                EmbeddedPipeline.Simulated("sim-west", latencyMs: 20),
                EmbeddedPipeline.Simulated("sim-flaky", errorRate: 0.3, latencyMs: 10),
                // Answers 429 with a Retry-After of ten minutes: paused after its first answers,
                // while the others finish the batch.
                new
                {
                    Id = "sim-paused", ModelGroup = "gpt-test", Provider = "Simulated", MaxParallel = 8,
                    Simulation = new { LatencyMs = 10, LatencySigma = 0.0, RateLimitRate = 1.0, RetryAfterSeconds = 600, Seed = 1 },
                },
            },
            ModelGroups = new[] { new { Name = "gpt-test", Strategy = "weighted-adaptive", MaxAttempts = 4, Budget = new { Limit = 1.0, Period = "Day" } } },
        });
        await pipeline.SubmitBatchAsync("dashboard-batch", 400);
        await pipeline.WaitForBatchAsync("dashboard-batch", TimeSpan.FromSeconds(90));
        await Task.Delay(TimeSpan.FromSeconds(1)); // a few more history points after the end
        var page = new Uri(pipeline.BaseAddress, "dashboard");

        var dom = await HeadlessChromium.DumpDomAsync(page, TimeSpan.FromSeconds(5), ChromiumTimeout);
        var screenshot = Path.Combine(AppContext.BaseDirectory, "screenshots", "dashboard.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        File.Delete(screenshot);
        await HeadlessChromium.ScreenshotAsync(page, screenshot, 1400, 1150, TimeSpan.FromSeconds(5), ChromiumTimeout);
        output.WriteLine($"dashboard screenshot: {screenshot}");
        Console.WriteLine($"dashboard screenshot: {screenshot}");

        dom.ShouldContain("LLM batch dispatcher");
        var updates = int.Parse(UpdatesPattern().Match(dom).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        updates.ShouldBeGreaterThanOrEqualTo(1, dom);
        foreach (var chart in Charts)
        {
            var match = new Regex($"id=\"{chart}\"[^>]*data-points=\"(\\d+)\"").Match(dom);
            match.Success.ShouldBeTrue($"{chart} has no data-points attribute");
            int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThan(0, $"{chart} drew no data");
        }

        dom.ShouldContain("dashboard-batch");
        dom.ShouldContain("sim-flaky");
        dom.ShouldContain("paused by the provider until");
        dom.ShouldContain("(429 Retry-After 600 s)");
        dom.ShouldMatch("class=\"breaker closed paused\"[^>]*data-paused-until=");
        dom.ShouldMatch("class=\"weight\" data-weight=\"[0-9.]+\">routing weight [0-9.]+<");
        dom.ShouldNotContain("status unavailable");
        var png = await File.ReadAllBytesAsync(screenshot);
        png.Length.ShouldBeGreaterThan(10_000);
        png[..8].ShouldBe(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A });
    }

    [GeneratedRegex("data-updates=\"(\\d+)\"")]
    private static partial Regex UpdatesPattern();
}
