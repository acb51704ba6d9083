using Dispatcher.ServiceDefaults.Messaging;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Dispatcher.Monitoring;

/// <summary>Queue depths, status snapshots and their history, the status API and the dashboard.</summary>
public static class MonitoringServices
{
    /// <summary>Registers the queue depth reader for the configured transport and the background refresh.</summary>
    public static IServiceCollection AddDispatcherMonitoring(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<MonitoringOptions>().BindConfiguration(MonitoringOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var kind = configuration.GetSection(TransportOptions.Section).Get<TransportOptions>()?.Kind ?? TransportKind.InMemory;
        if (kind == TransportKind.RabbitMq)
        {
            // TransportOptions are bound (and validated) by AddCompletionBus, which every program
            // calls first: binding them again would list each of Transport:RabbitMq:Hosts twice.
            services.AddHttpClient<IQueueDepthReader, RabbitMqQueueDepthReader>((sp, http) =>
                http.Timeout = sp.GetRequiredService<IOptions<MonitoringOptions>>().Value.ManagementTimeout);
        }
        else
        {
            services.TryAddSingleton<InMemoryQueueCounter>();
            services.TryAddSingleton<IQueueDepthReader>(sp => sp.GetRequiredService<InMemoryQueueCounter>());
            services.AddSendObserver(sp => sp.GetRequiredService<InMemoryQueueCounter>());
            services.AddPublishObserver(sp => sp.GetRequiredService<InMemoryQueueCounter>());
            services.AddReceiveObserver(sp => sp.GetRequiredService<InMemoryQueueCounter>());
            services.AddReceiveEndpointObserver(sp => sp.GetRequiredService<InMemoryQueueCounter>());
        }

        services.TryAddSingleton<QueueDepthMonitor>();
        services.TryAddSingleton<IQueueDepths>(sp => sp.GetRequiredService<QueueDepthMonitor>());
        services.TryAddSingleton<StatusSnapshotBuilder>();
        services.TryAddSingleton(sp => new StatusHistory(sp.GetRequiredService<IOptions<MonitoringOptions>>().Value.HistoryCapacity));
        services.AddHostedService<MonitoringLoop>();
        return services;
    }

    /// <summary>
    /// Maps <c>GET /api/status</c>, <c>GET /api/status/history</c> and the dashboard at <c>/</c>
    /// and <c>/dashboard</c>. <c>GET /api/status?batch=ID</c> adds that batch to the recent ones
    /// when it is older than them, so a client on another machine follows any batch without the ledger.
    /// </summary>
    public static IEndpointRouteBuilder MapDispatcherMonitoring(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/status", async (string? batch, StatusHistory history, StatusSnapshotBuilder builder, CancellationToken ct) =>
        {
            var status = history.Latest ?? await builder.BuildAsync(null, ct);
            return Results.Json(string.IsNullOrEmpty(batch) ? status : await builder.IncludingAsync(status, batch, ct));
        });
        endpoints.MapGet("/api/status/history", (StatusHistory history, IOptions<MonitoringOptions> options) =>
            Results.Json(new
            {
                IntervalSeconds = options.Value.RefreshInterval.TotalSeconds,
                Capacity = options.Value.HistoryCapacity,
                Points = history.Points(),
            }));
        endpoints.MapGet("/", () => DashboardAssets.Serve("index.html"));
        endpoints.MapGet("/dashboard", () => DashboardAssets.Serve("index.html"));
        endpoints.MapGet("/dashboard/{file}", (string file) => DashboardAssets.Serve(file));
        return endpoints;
    }
}
