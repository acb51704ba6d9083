namespace Dispatcher.ServiceDefaults.Telemetry.Prometheus;

/// <summary>The metric types of the Prometheus text format that the SDK's metrics map to.</summary>
public enum PrometheusMetricType
{
    /// <summary>A monotonic sum; exposed with the <c>_total</c> suffix.</summary>
    Counter,

    /// <summary>A value that goes up and down (gauges, and non-monotonic sums).</summary>
    Gauge,

    /// <summary>Cumulative <c>_bucket</c> series with <c>le</c> labels, plus <c>_sum</c> and <c>_count</c>.</summary>
    Histogram,
}
