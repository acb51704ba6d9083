using Dispatcher.ServiceDefaults.Telemetry.Prometheus;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Dispatcher.ServiceDefaults.Telemetry;

/// <summary>
/// Registrations for a process that exports telemetry (the dispatcher and worker programs, the
/// CLI on a broker). The OpenTelemetry SDK's providers belong to the host
/// (<c>AddOpenTelemetry</c>): built when it starts, flushed and disposed when it stops.
/// </summary>
public static class TelemetryServices
{
    // Named exporter options, so the metric and trace exporters' settings do not mix.
    private const string OtlpMetrics = "Dispatcher.OtlpMetrics";
    private const string OtlpTraces = "Dispatcher.OtlpTraces";

    /// <summary>
    /// The providers for <paramref name="signals"/>, the <c>/metrics</c> scraper, and the
    /// <c>Telemetry</c> options, validated on start. Metrics always feed <c>/metrics</c>; with
    /// <see cref="TelemetryOptions.OtlpEndpoint"/> set, metrics and traces are also pushed there.
    /// Without it no tracer provider exists, so no one listens to the activity sources and
    /// starting a span costs nothing.
    /// </summary>
    /// <remarks>
    /// The OpenTelemetry hosted service goes first in the service collection, so the providers
    /// listen before any hosted service registered earlier or later (MassTransit's bus) starts.
    /// Building the meter provider also creates <see cref="TelemetrySignals.Instrumentation"/>,
    /// so the role's gauges report from the first scrape rather than from the first message.
    /// </remarks>
    public static IServiceCollection AddTelemetry(this IServiceCollection services, IConfiguration configuration, TelemetrySignals signals)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(signals);
        if (services.Any(s => s.ServiceType == typeof(TelemetrySignals)))
        {
            return services;
        }

        services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TelemetryOptions>, TelemetryOptionsValidator>());
        services.AddSingleton(signals);
        services.TryAddSingleton<PrometheusScraper>();

        var instanceId = $"{Environment.MachineName}-{Environment.ProcessId}";
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(signals.ServiceName, serviceInstanceId: instanceId))
            .WithMetrics(metrics => metrics
                .AddMeter([.. signals.Meters])
                .AddReader(sp => sp.GetRequiredService<PrometheusScraper>().Reader));
        if (signals.Instrumentation is { } instrumentation)
        {
            services.ConfigureOpenTelemetryMeterProvider((sp, _) => sp.GetRequiredService(instrumentation));
        }

        // Whether to export is decided here, from configuration, not from the options when the
        // host starts: AddOtlpExporter registers services of its own, which the SDK refuses once
        // the service provider exists (in its deferred configuration callbacks). The rest
        // (endpoint, protocol, interval, delay) comes from the validated options at start. Without
        // an exporter no tracer provider is added: one listening to the sources would sample and
        // record every span for nothing.
        if (!(configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>()?.ExportsOtlp ?? false))
        {
            return services;
        }

        services.AddOptions<OtlpExporterOptions>(OtlpMetrics)
            .Configure<IOptions<TelemetryOptions>>((exporter, options) => ConfigureEndpoint(exporter, options.Value, "v1/metrics"));
        services.AddOptions<MetricReaderOptions>(OtlpMetrics).Configure<IOptions<TelemetryOptions>>((reader, options) =>
        {
            reader.TemporalityPreference = MetricReaderTemporalityPreference.Cumulative;
            reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)options.Value.MetricExportInterval.TotalMilliseconds;
        });
        services.AddOptions<OtlpExporterOptions>(OtlpTraces).Configure<IOptions<TelemetryOptions>>((exporter, options) =>
        {
            ConfigureEndpoint(exporter, options.Value, "v1/traces");
            exporter.BatchExportProcessorOptions.ScheduledDelayMilliseconds = (int)options.Value.TraceExportDelay.TotalMilliseconds;
        });
        telemetry
            .WithMetrics(metrics => metrics.AddOtlpExporter(OtlpMetrics, configure: null))
            .WithTracing(tracing => tracing.AddSource([.. signals.Sources]).AddOtlpExporter(OtlpTraces, configure: null));
        return services;
    }

    // Set in code, an http/protobuf endpoint is used as given, so the signal's path is added
    // here; gRPC takes the collector's base address.
    private static void ConfigureEndpoint(OtlpExporterOptions exporter, TelemetryOptions telemetry, string signalPath)
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
