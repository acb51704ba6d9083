using System.Text;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Dispatcher.ServiceDefaults.Telemetry.Prometheus;

/// <summary>
/// A pull reader for the process's <see cref="MeterProvider"/>: every <see cref="Scrape"/>
/// collects the current values (running the observable gauges' callbacks) and renders them in
/// the Prometheus text format. Values are cumulative since the process started. Written here
/// rather than taken from OpenTelemetry's Prometheus exporter, which appends unit suffixes to
/// metric names: the names on <c>/metrics</c> are a published interface (dashboards, alerts).
/// </summary>
public sealed class PrometheusScraper : IDisposable
{
    private static readonly TimeSpan CollectTimeout = TimeSpan.FromSeconds(10);

    private readonly Lock _lock = new();
    private readonly FamilyExporter _exporter = new();

    /// <summary>Creates the reader; add <see cref="Reader"/> to exactly one meter provider.</summary>
    public PrometheusScraper()
    {
        Reader = new BaseExportingMetricReader(_exporter) { TemporalityPreference = MetricReaderTemporalityPreference.Cumulative };
    }

    /// <summary>The reader to add to the meter provider.</summary>
    public MetricReader Reader { get; }

    /// <summary>Collects now and returns the text; empty when the meter provider is gone.</summary>
    public string Scrape()
    {
        lock (_lock)
        {
            _exporter.Collected.Clear();
            if (!Reader.Collect((int)CollectTimeout.TotalMilliseconds))
            {
                return "";
            }

            var text = new StringBuilder();
            PrometheusTextWriter.Write(text, _exporter.Collected);
            return text.ToString();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Reader.Dispose();
        _exporter.Dispose();
    }

    // Converts during the export call: the SDK reuses its metric points once the call returns.
    // No pull-only ExportModes attribute: the SDK lets only its own exporters collect in pull mode.
    private sealed class FamilyExporter : BaseExporter<Metric>
    {
        public List<PrometheusFamily> Collected { get; } = [];

        public override ExportResult Export(in Batch<Metric> batch)
        {
            foreach (var metric in batch)
            {
                if (MetricFamilies.From(metric) is { } family)
                {
                    Collected.Add(family);
                }
            }

            return ExportResult.Success;
        }
    }
}
