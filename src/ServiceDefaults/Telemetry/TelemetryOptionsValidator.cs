using Microsoft.Extensions.Options;

namespace Dispatcher.ServiceDefaults.Telemetry;

/// <summary>Checks the <c>Telemetry</c> section at start-up, naming the offending key.</summary>
public sealed class TelemetryOptionsValidator : IValidateOptions<TelemetryOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, TelemetryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.ExportsOtlp
            && !(Uri.TryCreate(options.OtlpEndpoint, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)))
        {
            errors.Add($"{TelemetryOptions.Section}:{nameof(TelemetryOptions.OtlpEndpoint)}: must be an absolute http or https URL, got '{options.OtlpEndpoint}'");
        }

        if (options.OtlpProtocol is not (TelemetryOptions.HttpProtobuf or TelemetryOptions.Grpc))
        {
            errors.Add($"{TelemetryOptions.Section}:{nameof(TelemetryOptions.OtlpProtocol)}: must be '{TelemetryOptions.HttpProtobuf}' or '{TelemetryOptions.Grpc}', got '{options.OtlpProtocol}'");
        }

        if (options.MetricExportInterval < TimeSpan.FromMilliseconds(100))
        {
            errors.Add($"{TelemetryOptions.Section}:{nameof(TelemetryOptions.MetricExportInterval)}: must be at least 00:00:00.1");
        }

        if (options.TraceExportDelay < TimeSpan.FromMilliseconds(10))
        {
            errors.Add($"{TelemetryOptions.Section}:{nameof(TelemetryOptions.TraceExportDelay)}: must be at least 00:00:00.01");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
