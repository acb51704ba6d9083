using Dispatcher.ServiceDefaults.Telemetry.Prometheus;

namespace Dispatcher.ServiceDefaults.Tests.Telemetry.Prometheus;

public sealed class PrometheusNamesTests
{
    [Theory]
    [InlineData("dispatcher.jobs.fell_back", "dispatcher_jobs_fell_back")]
    [InlineData("messaging.masstransit.receive", "messaging_masstransit_receive")]
    [InlineData("a-b/c d", "a_b_c_d")]
    [InlineData("9lives", "_9lives")]
    [InlineData("ns:name", "ns:name")]
    public void Metric_InstrumentName_ValidPrometheusName(string instrument, string expected) =>
        PrometheusNames.Metric(instrument).ShouldBe(expected);

    [Theory]
    [InlineData("model_group", "model_group")]
    [InlineData("messaging.destination.name", "messaging_destination_name")]
    [InlineData("ns:key", "ns_key")]
    public void Label_AttributeKey_ValidLabelName(string key, string expected) =>
        PrometheusNames.Label(key).ShouldBe(expected);
}
