using System.Globalization;
using OpenTelemetry.Metrics;

namespace Dispatcher.ServiceDefaults.Telemetry.Prometheus;

/// <summary>
/// Reads the SDK's collected metrics into Prometheus families. Only valid while the SDK hands
/// the batch to an exporter: the metric points are reused after the export returns.
/// </summary>
public static class MetricFamilies
{
    /// <summary>The family of one collected metric; null for a kind the text format has no place for (exponential histograms).</summary>
    public static PrometheusFamily? From(Metric metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        var name = PrometheusNames.Metric(metric.Name);
        var help = string.IsNullOrWhiteSpace(metric.Description) ? metric.Name : metric.Description;
        var samples = new List<PrometheusSample>();
        switch (metric.MetricType)
        {
            case MetricType.LongSum or MetricType.DoubleSum:
                name += "_total";
                foreach (ref readonly var point in metric.GetMetricPoints())
                {
                    samples.Add(new PrometheusSample(name, Labels(point), metric.MetricType == MetricType.LongSum ? point.GetSumLong() : point.GetSumDouble()));
                }

                return new PrometheusFamily(name, PrometheusMetricType.Counter, help, samples);

            case MetricType.LongSumNonMonotonic or MetricType.DoubleSumNonMonotonic:
                foreach (ref readonly var point in metric.GetMetricPoints())
                {
                    samples.Add(new PrometheusSample(name, Labels(point), metric.MetricType == MetricType.LongSumNonMonotonic ? point.GetSumLong() : point.GetSumDouble()));
                }

                return new PrometheusFamily(name, PrometheusMetricType.Gauge, help, samples);

            case MetricType.LongGauge or MetricType.DoubleGauge:
                foreach (ref readonly var point in metric.GetMetricPoints())
                {
                    samples.Add(new PrometheusSample(name, Labels(point), metric.MetricType == MetricType.LongGauge ? point.GetGaugeLastValueLong() : point.GetGaugeLastValueDouble()));
                }

                return new PrometheusFamily(name, PrometheusMetricType.Gauge, help, samples);

            case MetricType.Histogram:
                foreach (ref readonly var point in metric.GetMetricPoints())
                {
                    AddHistogram(samples, name, point);
                }

                return new PrometheusFamily(name, PrometheusMetricType.Histogram, help, samples);

            default:
                return null;
        }
    }

    // The SDK counts each bucket on its own; the format wants every bucket to include those below it.
    private static void AddHistogram(List<PrometheusSample> samples, string name, in MetricPoint point)
    {
        var labels = Labels(point);
        long cumulative = 0;
        foreach (var bucket in point.GetHistogramBuckets())
        {
            cumulative += bucket.BucketCount;
            var le = double.IsPositiveInfinity(bucket.ExplicitBound) ? "+Inf" : PrometheusTextWriter.FormatValue(bucket.ExplicitBound);
            samples.Add(new PrometheusSample(name + "_bucket", [.. labels, new("le", le)], cumulative));
        }

        samples.Add(new PrometheusSample(name + "_sum", labels, point.GetHistogramSum()));
        samples.Add(new PrometheusSample(name + "_count", labels, point.GetHistogramCount()));
    }

    private static List<KeyValuePair<string, string>> Labels(in MetricPoint point)
    {
        var labels = new List<KeyValuePair<string, string>>(point.Tags.Count);
        foreach (var tag in point.Tags)
        {
            labels.Add(new(PrometheusNames.Label(tag.Key), Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? ""));
        }

        return labels;
    }
}
