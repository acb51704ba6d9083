using Dispatcher.ServiceDefaults.Telemetry;

namespace Dispatcher.ServiceDefaults.Tests.Telemetry;

public sealed class TelemetryOptionsValidatorTests
{
    private static readonly TelemetryOptionsValidator Validator = new();

    [Fact]
    public void Validate_Defaults_Succeeds() =>
        Validator.Validate(null, new TelemetryOptions()).Succeeded.ShouldBeTrue();

    [Theory]
    [InlineData("http://127.0.0.1:4318", "http/protobuf")]
    [InlineData("https://collector.example:4317/", "grpc")]
    public void Validate_EndpointAndProtocol_Succeeds(string endpoint, string protocol) =>
        Validator.Validate(null, new TelemetryOptions { OtlpEndpoint = endpoint, OtlpProtocol = protocol }).Succeeded.ShouldBeTrue();

    [Fact]
    public void Validate_RelativeEndpoint_FailsNamingTheKey()
    {
        var result = Validator.Validate(null, new TelemetryOptions { OtlpEndpoint = "collector:4318" });

        result.Failed.ShouldBeTrue();
        result.FailureMessage.ShouldContain("Telemetry:OtlpEndpoint");
    }

    [Fact]
    public void Validate_UnknownProtocol_FailsNamingTheKey()
    {
        var result = Validator.Validate(null, new TelemetryOptions { OtlpProtocol = "http/json" });

        result.Failed.ShouldBeTrue();
        result.FailureMessage.ShouldContain("Telemetry:OtlpProtocol");
    }
}
