using Dispatcher.ServiceDefaults.Telemetry.Prometheus;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Dispatcher.ServiceDefaults.Telemetry;

/// <summary>Registrations for a process that exports telemetry (the dispatcher and worker programs, the CLI on a broker).</summary>
public static class TelemetryServices
{
    /// <summary>
    /// The SDK providers for <paramref name="signals"/>, built when the host starts and disposed
    /// with it, the <c>/metrics</c> scraper, and the <c>Telemetry</c> options, validated on start.
    /// </summary>
    public static IServiceCollection AddTelemetry(this IServiceCollection services, TelemetrySignals signals)
    {
        if (services.Any(s => s.ImplementationType == typeof(TelemetryStarter)))
        {
            return services;
        }

        services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TelemetryOptions>, TelemetryOptionsValidator>());
        services.TryAddSingleton(signals);
        services.TryAddSingleton<PrometheusScraper>();
        services.TryAddSingleton<TelemetryProviders>();
        // Registered ahead of the bus so the providers listen before MassTransit starts.
        services.Insert(0, ServiceDescriptor.Singleton<IHostedService, TelemetryStarter>());
        return services;
    }

    // Builds the providers when the host starts, and creates the role's instrumentation so its
    // gauges report from the first scrape rather than from the first message.
    private sealed class TelemetryStarter(IServiceProvider services, TelemetrySignals signals) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            services.GetRequiredService<TelemetryProviders>();
            if (signals.Instrumentation is { } instrumentation)
            {
                services.GetService(instrumentation);
            }

            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
