using System.Diagnostics;
using System.Diagnostics.Metrics;
using Dispatcher.ServiceDefaults.Messaging;
using Dispatcher.ServiceDefaults.Telemetry;
using Dispatcher.ServiceDefaults.Telemetry.Prometheus;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;

namespace Dispatcher.ServiceDefaults.Tests.Telemetry;

// Each test names its own meter and activity source: listeners are process-wide.
public sealed class TelemetryServicesTests
{
    [Fact]
    public async Task AddTelemetry_NoOtlpEndpoint_NothingListensToTheSources()
    {
        var name = Unique();
        using var source = new ActivitySource(name);
        using var host = Build([], new TelemetrySignals("probe", [name], [name]));

        await host.StartAsync();

        source.HasListeners().ShouldBeFalse();
        source.StartActivity("probe.span").ShouldBeNull();
        host.Services.GetService<TracerProvider>().ShouldBeNull();
        await host.StopAsync();
    }

    [Fact]
    public async Task AddTelemetry_HostStarts_CreatesTheInstrumentationAndScrapesItsMeter()
    {
        var name = Unique();
        var created = 0;
        using var host = Build([], new TelemetrySignals("probe", [name], [name], typeof(ProbeInstrumentation)), services =>
            services.AddSingleton(_ =>
            {
                created++;
                return new ProbeInstrumentation(name);
            }));
        created.ShouldBe(0);

        await host.StartAsync();

        created.ShouldBe(1);
        var text = host.Services.GetRequiredService<PrometheusScraper>().Scrape();
        text.ShouldContain("# TYPE probe_ready gauge\nprobe_ready 1\n");
        await host.StopAsync();
    }

    [Theory]
    [InlineData("http/protobuf", "", "/v1/traces", "/v1/metrics")]
    [InlineData("http/protobuf", "otlp/", "/otlp/v1/traces", "/otlp/v1/metrics")]
    [InlineData("grpc", "", "/opentelemetry.proto.collector.trace.v1.TraceService/Export", "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export")]
    public async Task AddTelemetry_OtlpEndpoint_SpansAndMetricsReachTheCollector(string protocol, string basePath, string tracesPath, string metricsPath)
    {
        await using var collector = await OtlpCollector.StartAsync(grpc: protocol == TelemetryOptions.Grpc);
        var name = Unique();
        using var source = new ActivitySource(name);
        using var meter = new Meter(name);
        using var host = Build(
            new()
            {
                ["Telemetry:OtlpEndpoint"] = new Uri(collector.Address, basePath).ToString(),
                ["Telemetry:OtlpProtocol"] = protocol,
                // The SDK's defaults are 60 s and 5 s: metrics arriving while the host runs show these are applied.
                ["Telemetry:MetricExportInterval"] = "00:00:00.1",
                ["Telemetry:TraceExportDelay"] = "00:00:00.01",
            },
            new TelemetrySignals("probe-service", [name], [name]));
        await host.StartAsync();

        source.HasListeners().ShouldBeTrue();
        meter.CreateCounter<long>("probe.calls").Add(3);
        using (var span = source.StartActivity("probe.span"))
        {
            span.ShouldNotBeNull().IsAllDataRequested.ShouldBeTrue();
        }

        var traces = await collector.WaitForAsync(r => r.Path == tracesPath && r.Contains("probe.span"), $"the span on {tracesPath}");
        var metrics = await collector.WaitForAsync(r => r.Path == metricsPath && r.Contains("probe.calls"), $"the counter on {metricsPath}");
        traces.Contains("probe-service").ShouldBeTrue();
        metrics.Contains("probe-service").ShouldBeTrue();
        traces.ContentType.ShouldBe(protocol == TelemetryOptions.Grpc ? "application/grpc" : "application/x-protobuf");
        host.Services.GetRequiredService<PrometheusScraper>().Scrape().ShouldContain("probe_calls_total 3\n");
        await host.StopAsync();
    }

    [Fact]
    public async Task AddTelemetry_InvalidEndpoint_HostFailsToStartNamingTheKey()
    {
        var name = Unique();
        using var host = Build(new() { ["Telemetry:OtlpEndpoint"] = "collector:4318" }, new TelemetrySignals("probe", [name], [name]));

        var error = await Should.ThrowAsync<OptionsValidationException>(() => host.StartAsync());

        error.Message.ShouldContain("Telemetry:OtlpEndpoint");
    }

    [Fact]
    public void AddTelemetry_ThenTheBus_TelemetryStartsBeforeEveryOtherHostedService()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        // Registered ahead of telemetry, as a role's own service could be.
        builder.Services.AddHostedService<IdleHostedService>();
        builder.Services.AddTelemetry(builder.Configuration, new TelemetrySignals("probe", [Unique()], [Unique()]));
        builder.Services.AddCompletionBus(builder.Configuration);
        using var host = builder.Build();

        // The host starts its hosted services one after another, in this order.
        var order = host.Services.GetServices<IHostedService>().Select(s => s.GetType()).ToList();

        order[0].Assembly.ShouldBe(typeof(OpenTelemetryServicesExtensions).Assembly);
        order.IndexOf(typeof(MassTransitHostedService)).ShouldBeGreaterThan(order.IndexOf(typeof(IdleHostedService)));
    }

    private static string Unique() => "telemetry-test-" + Guid.NewGuid().ToString("N");

    private static IHost Build(Dictionary<string, string?> settings, TelemetrySignals signals, Action<IServiceCollection>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        configure?.Invoke(builder.Services);
        builder.Services.AddTelemetry(builder.Configuration, signals);
        return builder.Build();
    }

    private sealed class ProbeInstrumentation : IDisposable
    {
        private readonly Meter _meter;

        public ProbeInstrumentation(string name)
        {
            _meter = new Meter(name);
            _meter.CreateObservableGauge("probe.ready", () => 1);
        }

        public void Dispose() => _meter.Dispose();
    }

    private sealed class IdleHostedService : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
