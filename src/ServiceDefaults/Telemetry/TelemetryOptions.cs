namespace Dispatcher.ServiceDefaults.Telemetry;

/// <summary>Where metrics and traces are exported, bound from the <c>Telemetry</c> section.</summary>
public sealed class TelemetryOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Telemetry";

    /// <summary>The <c>http/protobuf</c> protocol value.</summary>
    public const string HttpProtobuf = "http/protobuf";

    /// <summary>The <c>grpc</c> protocol value.</summary>
    public const string Grpc = "grpc";

    /// <summary>
    /// The OTLP collector's base address (<c>http://127.0.0.1:4318</c> for http/protobuf,
    /// <c>http://127.0.0.1:4317</c> for gRPC); nothing is exported when it is empty. With
    /// http/protobuf, traces go to <c>/v1/traces</c> and metrics to <c>/v1/metrics</c> under it.
    /// </summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary><c>http/protobuf</c> (default) or <c>grpc</c>.</summary>
    public string OtlpProtocol { get; set; } = HttpProtobuf;

    /// <summary>How often metrics are pushed to the collector.</summary>
    public TimeSpan MetricExportInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest a finished span waits before its batch is sent to the collector.</summary>
    public TimeSpan TraceExportDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Whether OTLP export is on.</summary>
    public bool ExportsOtlp => !string.IsNullOrWhiteSpace(OtlpEndpoint);
}
