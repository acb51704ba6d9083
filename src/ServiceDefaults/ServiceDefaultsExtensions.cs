using Dispatcher.ServiceDefaults.Messaging;
using Dispatcher.ServiceDefaults.Telemetry;
using Dispatcher.ServiceDefaults.Telemetry.Prometheus;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatcher.ServiceDefaults;

/// <summary>What every long-running program of the product sets up the same way.</summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>
    /// The product's configuration sources (<see cref="ConfigurationSources"/>), the listen address
    /// (<c>Urls</c>, else <paramref name="defaultUrls"/>), telemetry for <paramref name="telemetry"/>,
    /// health checks, and the bus on the configured transport carrying <paramref name="roles"/>.
    /// </summary>
    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder, string[] args, string defaultUrls, TelemetrySignals telemetry, params IBusModule[] roles)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Configuration.AddDispatcherSources(args);
        builder.WebHost.UseUrls(builder.Configuration["Urls"] ?? defaultUrls);
        builder.Services.AddTelemetry(builder.Configuration, telemetry);
        builder.Services.AddHealthChecks();
        builder.Services.AddCompletionBus(builder.Configuration, roles);
        return builder;
    }

    /// <summary>Maps <c>/health/live</c>, <c>/health/ready</c> and <c>/metrics</c>.</summary>
    public static WebApplication MapServiceDefaults(this WebApplication app)
    {
        app.MapHealthEndpoints();
        app.MapPrometheusMetrics();
        return app;
    }
}
