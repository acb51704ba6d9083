using Dispatcher.ServiceDefaults.Telemetry.Prometheus;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Dispatcher.ServiceDefaults.Telemetry;

/// <summary>
/// The process's OpenTelemetry SDK providers, owned by the host and disposed with it (which
/// flushes what is still buffered). Metrics always feed <c>/metrics</c>; with an OTLP endpoint
/// configured, metrics and traces are also pushed there. Without one no tracer provider exists,
/// so spans cost nothing.
/// </summary>
public sealed class TelemetryProviders : IDisposable
{
    /// <summary>The name of MassTransit's own meter and activity source.</summary>
    public const string MassTransit = "MassTransit";

    /// <summary>Builds the providers for <paramref name="signals"/>.</summary>
    public TelemetryProviders(TelemetrySignals signals, IOptions<TelemetryOptions> options, PrometheusScraper scraper)
    {
        ArgumentNullException.ThrowIfNull(signals);
        var telemetry = options.Value;
        void Resource(ResourceBuilder r) => r.AddService(signals.ServiceName, serviceInstanceId: $"{Environment.MachineName}-{Environment.ProcessId}");

        var meters = Sdk.CreateMeterProviderBuilder()
            .ConfigureResource(Resource)
            .AddMeter([.. signals.Meters])
            .AddReader(scraper.Reader);
        if (telemetry.ExportsOtlp)
        {
            meters.AddOtlpExporter((exporter, reader) =>
            {
                Configure(exporter, telemetry, "v1/metrics");
                reader.TemporalityPreference = MetricReaderTemporalityPreference.Cumulative;
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)telemetry.MetricExportInterval.TotalMilliseconds;
            });
            Tracer = Sdk.CreateTracerProviderBuilder()
                .ConfigureResource(Resource)
                .AddSource([.. signals.Sources])
                .AddOtlpExporter(exporter =>
                {
                    Configure(exporter, telemetry, "v1/traces");
                    exporter.BatchExportProcessorOptions.ScheduledDelayMilliseconds = (int)telemetry.TraceExportDelay.TotalMilliseconds;
                })
                .Build();
        }

        Meter = meters.Build();
    }

    /// <summary>The meter provider.</summary>
    public MeterProvider Meter { get; }

    /// <summary>The tracer provider; null when nothing exports traces.</summary>
    public TracerProvider? Tracer { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        Tracer?.Dispose();
        Meter.Dispose();
    }

    // Set in code, an http/protobuf endpoint is used as given, so the signal's path is added
    // here; gRPC takes the collector's base address.
    private static void Configure(OtlpExporterOptions exporter, TelemetryOptions telemetry, string signalPath)
    {
        var endpoint = new Uri(telemetry.OtlpEndpoint!.TrimEnd('/') + "/");
        if (telemetry.OtlpProtocol == TelemetryOptions.Grpc)
        {
            exporter.Protocol = OtlpExportProtocol.Grpc;
            exporter.Endpoint = endpoint;
        }
        else
        {
            exporter.Protocol = OtlpExportProtocol.HttpProtobuf;
            exporter.Endpoint = new Uri(endpoint, signalPath);
        }
    }
}
