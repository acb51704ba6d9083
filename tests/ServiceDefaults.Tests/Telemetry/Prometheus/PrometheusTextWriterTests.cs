using System.Text;
using Dispatcher.ServiceDefaults.Telemetry.Prometheus;

namespace Dispatcher.ServiceDefaults.Tests.Telemetry.Prometheus;

public sealed class PrometheusTextWriterTests
{
    private static string Write(params PrometheusFamily[] families)
    {
        var text = new StringBuilder();
        PrometheusTextWriter.Write(text, families);
        return text.ToString();
    }

    private static KeyValuePair<string, string> L(string name, string value) => new(name, value);

    [Fact]
    public void Write_CounterAndGauge_HelpTypeAndOneLinePerSample()
    {
        var text = Write(
            new PrometheusFamily("dispatcher_jobs_routed_total", PrometheusMetricType.Counter, "Attempts sent.", [
                new("dispatcher_jobs_routed_total", [L("deployment", "a"), L("strategy", "cost-based")], 2),
                new("dispatcher_jobs_routed_total", [L("deployment", "b"), L("strategy", "cost-based")], 1),
            ]),
            new PrometheusFamily("dispatcher_jobs_waiting", PrometheusMetricType.Gauge, "Jobs waiting.", [
                new("dispatcher_jobs_waiting", [], 0),
            ]));

        text.ShouldBe(
            "# HELP dispatcher_jobs_routed_total Attempts sent.\n" +
            "# TYPE dispatcher_jobs_routed_total counter\n" +
            "dispatcher_jobs_routed_total{deployment=\"a\",strategy=\"cost-based\"} 2\n" +
            "dispatcher_jobs_routed_total{deployment=\"b\",strategy=\"cost-based\"} 1\n" +
            "# HELP dispatcher_jobs_waiting Jobs waiting.\n" +
            "# TYPE dispatcher_jobs_waiting gauge\n" +
            "dispatcher_jobs_waiting 0\n");
    }

    [Fact]
    public void Write_Histogram_BucketSumCountUnderOneType()
    {
        var text = Write(new PrometheusFamily("dispatcher_provider_latency", PrometheusMetricType.Histogram, "Latency.", [
            new("dispatcher_provider_latency_bucket", [L("deployment", "a"), L("le", "10")], 1),
            new("dispatcher_provider_latency_bucket", [L("deployment", "a"), L("le", "+Inf")], 3),
            new("dispatcher_provider_latency_sum", [L("deployment", "a")], 555.5),
            new("dispatcher_provider_latency_count", [L("deployment", "a")], 3),
        ]));

        text.ShouldBe(
            "# HELP dispatcher_provider_latency Latency.\n" +
            "# TYPE dispatcher_provider_latency histogram\n" +
            "dispatcher_provider_latency_bucket{deployment=\"a\",le=\"10\"} 1\n" +
            "dispatcher_provider_latency_bucket{deployment=\"a\",le=\"+Inf\"} 3\n" +
            "dispatcher_provider_latency_sum{deployment=\"a\"} 555.5\n" +
            "dispatcher_provider_latency_count{deployment=\"a\"} 3\n");
    }

    [Fact]
    public void Write_LabelValueWithQuoteBackslashAndNewline_EscapesAllThree()
    {
        var text = Write(new PrometheusFamily("m", PrometheusMetricType.Gauge, "h", [
            new("m", [L("queue", "a\"b\\c\nd")], 1),
        ]));

        text.ShouldEndWith("m{queue=\"a\\\"b\\\\c\\nd\"} 1\n");
    }

    [Fact]
    public void Write_HelpWithBackslashAndNewline_EscapesThemButNotQuotes()
    {
        var text = Write(new PrometheusFamily("m", PrometheusMetricType.Gauge, "a \"quoted\" \\ help\nline", []));

        text.ShouldBe("# HELP m a \"quoted\" \\\\ help\\nline\n# TYPE m gauge\n");
    }

    [Fact]
    public void Write_SameFamilyFromTwoMeters_OneHelpAndTypeWithBothSamples()
    {
        var text = Write(
            new PrometheusFamily("x_total", PrometheusMetricType.Counter, "first", [new("x_total", [L("k", "1")], 1)]),
            new PrometheusFamily("x_total", PrometheusMetricType.Counter, "second", [new("x_total", [L("k", "2")], 2)]));

        text.ShouldBe("# HELP x_total first\n# TYPE x_total counter\nx_total{k=\"1\"} 1\nx_total{k=\"2\"} 2\n");
    }

    [Theory]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(0.1, "0.1")]
    [InlineData(1e21, "1E+21")]
    [InlineData(-3, "-3")]
    public void FormatValue_SpecialAndOrdinaryValues_AsTheFormatSpellsThem(double value, string expected) =>
        PrometheusTextWriter.FormatValue(value).ShouldBe(expected);
}
