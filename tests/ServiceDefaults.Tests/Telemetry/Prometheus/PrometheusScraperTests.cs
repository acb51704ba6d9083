using System.Diagnostics.Metrics;
using Dispatcher.ServiceDefaults.Telemetry.Prometheus;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Dispatcher.ServiceDefaults.Tests.Telemetry.Prometheus;

public sealed class PrometheusScraperTests
{
    [Fact]
    public void Scrape_SdkCountersGaugesAndHistogram_GoldenText()
    {
        var meterName = "scrape-test-" + Guid.NewGuid().ToString("N");
        using var meter = new Meter(meterName);
        using var scraper = new PrometheusScraper();
        using var provider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(meterName)
            .AddView("test.latency", new ExplicitBucketHistogramConfiguration { Boundaries = [10, 100] })
            .AddReader(scraper.Reader)
            .Build();

        var routed = meter.CreateCounter<long>("test.jobs.routed", "{attempt}", "Attempts routed.");
        routed.Add(2, new("deployment", "a"), new("strategy", "cost-based"));
        routed.Add(1, new("deployment", "b \"q\" \\ x\ny"), new("strategy", "x"));
        var cost = meter.CreateCounter<double>("test.cost", "USD", "Cost.");
        cost.Add(0.25);
        cost.Add(0.5);
        meter.CreateObservableGauge("test.quota.fill", () => new Measurement<double>(0.5, new KeyValuePair<string, object?>("bucket", "tokens")), "1", "Share\nof the \\ bucket.");
        var waiting = meter.CreateUpDownCounter<int>("test.waiting", "{job}", "Waiting.");
        waiting.Add(3);
        waiting.Add(-1);
        var latency = meter.CreateHistogram<double>("test.latency", "ms", "Latency.");
        foreach (var ms in new[] { 5.0, 50, 500 })
        {
            latency.Record(ms, new KeyValuePair<string, object?>("deployment", "a"));
        }

        var text = scraper.Scrape();

        text.ShouldBe(
            "# HELP test_jobs_routed_total Attempts routed.\n" +
            "# TYPE test_jobs_routed_total counter\n" +
            "test_jobs_routed_total{deployment=\"a\",strategy=\"cost-based\"} 2\n" +
            "test_jobs_routed_total{deployment=\"b \\\"q\\\" \\\\ x\\ny\",strategy=\"x\"} 1\n" +
            "# HELP test_cost_total Cost.\n" +
            "# TYPE test_cost_total counter\n" +
            "test_cost_total 0.75\n" +
            "# HELP test_quota_fill Share\\nof the \\\\ bucket.\n" +
            "# TYPE test_quota_fill gauge\n" +
            "test_quota_fill{bucket=\"tokens\"} 0.5\n" +
            "# HELP test_waiting Waiting.\n" +
            "# TYPE test_waiting gauge\n" +
            "test_waiting 2\n" +
            "# HELP test_latency Latency.\n" +
            "# TYPE test_latency histogram\n" +
            "test_latency_bucket{deployment=\"a\",le=\"10\"} 1\n" +
            "test_latency_bucket{deployment=\"a\",le=\"100\"} 2\n" +
            "test_latency_bucket{deployment=\"a\",le=\"+Inf\"} 3\n" +
            "test_latency_sum{deployment=\"a\"} 555\n" +
            "test_latency_count{deployment=\"a\"} 3\n");
    }

    [Fact]
    public void Scrape_Twice_CountersStayCumulative()
    {
        var meterName = "scrape-test-" + Guid.NewGuid().ToString("N");
        using var meter = new Meter(meterName);
        using var scraper = new PrometheusScraper();
        using var provider = Sdk.CreateMeterProviderBuilder().AddMeter(meterName).AddReader(scraper.Reader).Build();
        var counter = meter.CreateCounter<long>("c");

        counter.Add(2);
        scraper.Scrape();
        counter.Add(3);
        var text = scraper.Scrape();

        text.ShouldContain("c_total 5\n");
        text.ShouldContain("# HELP c_total c\n");
    }

    [Fact]
    public void Scrape_ProviderDisposed_ReturnsEmptyText()
    {
        using var scraper = new PrometheusScraper();
        var provider = Sdk.CreateMeterProviderBuilder().AddMeter("none-" + Guid.NewGuid().ToString("N")).AddReader(scraper.Reader).Build();
        provider.Dispose();

        scraper.Scrape().ShouldBeEmpty();
    }
}
