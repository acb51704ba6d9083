using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.ServiceDefaults.Messaging;
using Dispatcher.Workers.Consumers;
using Dispatcher.Workers.Monitoring;
using Dispatcher.Workers.Providers;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Dispatcher.Workers.Hosting;

/// <summary>Registrations for a process that runs workers.</summary>
public static class WorkerServices
{
    /// <summary>The catalog, the adapters and their call pipelines.</summary>
    public static IServiceCollection AddWorkers(this IServiceCollection services)
    {
        services.AddCatalog();
        services.AddOptions<WorkerOptions>().BindConfiguration(WorkerOptions.Section);
        services.TryAddSingleton<ProviderClientFactory>();
        services.TryAddSingleton<ProviderRegistry>();
        services.TryAddSingleton<WorkerInstrumentation>();
        services.TryAddSingleton<ProviderAnomalyLog>();
        services.TryAddSingleton<ConfirmedOutcomes>();
        // Outcomes go back in packs of up to 64 while two reports await confirmation.
        services.TryAddSingleton(sp => PackingSender<CompletionAttempted, CompletionAttemptedPack>.Through(
            sp.GetRequiredService<IBus>(), outcomes => new CompletionAttemptedPack(outcomes), new PackingLimits(), sp.GetRequiredService<TimeProvider>()));
        return services;
    }
}
