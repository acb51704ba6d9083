using Dispatcher.Monitoring.Prometheus;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Dispatcher.Monitoring;

/// <summary>Registrations for a process that exports telemetry (the dispatcher and worker programs).</summary>
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

    /// <summary>The dispatcher program's telemetry: its own meter and source, and MassTransit's.</summary>
    public static IServiceCollection AddDispatcherTelemetry(this IServiceCollection services) =>
        services.AddTelemetry(new TelemetrySignals(
            "dispatcher",
            [DispatcherInstrumentation.Name, TelemetryProviders.MassTransit],
            [DispatcherInstrumentation.Name, TelemetryProviders.MassTransit]));

    /// <summary>The worker program's telemetry: its own meter and source, and MassTransit's.</summary>
    public static IServiceCollection AddWorkerTelemetry(this IServiceCollection services) =>
        services.AddTelemetry(new TelemetrySignals(
            "workers",
            [WorkerInstrumentation.Name, TelemetryProviders.MassTransit],
            [WorkerInstrumentation.Name, TelemetryProviders.MassTransit]));

    /// <summary>
    /// The CLI's telemetry when it talks to a broker: MassTransit's send spans, so with an OTLP
    /// endpoint configured each job's trace starts where it was submitted.
    /// </summary>
    public static IServiceCollection AddSubmitterTelemetry(this IServiceCollection services) =>
        services.AddTelemetry(new TelemetrySignals("submitter", [TelemetryProviders.MassTransit], [TelemetryProviders.MassTransit]));

    // Builds the providers when the host starts, and creates the process's instrumentation so
    // its gauges report from the first scrape rather than from the first message.
    private sealed class TelemetryStarter(IServiceProvider services) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            services.GetRequiredService<TelemetryProviders>();
            services.GetService<DispatcherInstrumentation>();
            services.GetService<WorkerInstrumentation>();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
