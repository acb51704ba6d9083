using Dispatcher.Breakers;
using Dispatcher.Catalog;
using Dispatcher.Consumers;
using Dispatcher.Contracts;
using Dispatcher.Dispatching;
using Dispatcher.Fairness;
using Dispatcher.Ledger;
using Dispatcher.Lifecycle;
using Dispatcher.Monitoring;
using Dispatcher.Quotas;
using Dispatcher.Reconciling;
using Dispatcher.Reservations;
using Dispatcher.Retries;
using Dispatcher.Routing;
using Dispatcher.ServiceDefaults.Messaging;
using Dispatcher.Standby;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dispatcher.Hosting;

/// <summary>Registrations shared by every process that runs or reads the dispatcher.</summary>
public static class DispatcherServices
{
    /// <summary>The ledger, its schema created on start.</summary>
    public static IServiceCollection AddLedger(this IServiceCollection services)
    {
        if (services.Any(s => s.ImplementationType == typeof(LedgerInitializer)))
        {
            return services;
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<LedgerOptions>().BindConfiguration(LedgerOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LedgerOptions>, LedgerOptionsValidator>());
        services.TryAddSingleton<JobLedger>();
        services.AddHostedService<LedgerInitializer>();
        services.AddHostedService<QuorumQueueDeclaration>();
        return services;
    }

    /// <summary>Routing and the dispatch flow.</summary>
    public static IServiceCollection AddDispatcher(this IServiceCollection services)
    {
        services.AddCatalog().AddLedger();
        services.AddOptions<IntakeOptions>().BindConfiguration(IntakeOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDeploymentFilter, ExcludedFilter>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDeploymentFilter, EndpointFilter>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDeploymentFilter, ContextWindowFilter>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDeploymentFilter, TenantRegionFilter>());
        services.TryAddSingleton<AvailabilityFilter>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDeploymentFilter, AvailabilityFilter>(sp => sp.GetRequiredService<AvailabilityFilter>()));
        services.TryAddSingleton<QuotaBook>();
        services.TryAddSingleton<SpendBook>();
        services.TryAddSingleton<LatencyTracker>();
        services.TryAddSingleton(sp => new AdaptiveWeights(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<CatalogOptions>>().Value));
        services.TryAddSingleton<DeploymentBreakers>();
        services.TryAddSingleton<IBreakerStates>(sp => sp.GetRequiredService<DeploymentBreakers>());
        services.AddHostedService<BreakerEventPublisher>();
        services.TryAddSingleton<AttemptReservations>();
        services.TryAddSingleton<FailurePlanner>();
        services.TryAddSingleton<IRetryScheduler>(sp =>
            sp.GetRequiredService<IOptions<TransportOptions>>().Value.Kind == TransportKind.RabbitMq
                ? ActivatorUtilities.CreateInstance<RabbitMqRetryScheduler>(sp)
                : ActivatorUtilities.CreateInstance<InMemoryRetryScheduler>(sp));
        services.TryAddSingleton<RoutingRules>();
        services.TryAddSingleton<JobRoutes>();
        services.TryAddSingleton<DeploymentRouter>();
        services.TryAddSingleton<FairShares>();
        services.TryAddSingleton<DispatchLanes>();
        services.TryAddSingleton<DispatchGate>();
        services.AddOptions<StandbyOptions>().BindConfiguration(StandbyOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StandbyOptions>, StandbyOptionsValidator>());
        services.TryAddSingleton<DispatchShares>();
        services.TryAddSingleton<ShareIntake>();
        services.TryAddSingleton<ShareQueueSender>();
        services.TryAddSingleton<SharedTenantBudgets>();
        services.AddHostedService(sp => sp.GetRequiredService<SharedTenantBudgets>());
        services.TryAddSingleton<QuotaPersistence>();
        services.AddHostedService(sp => sp.GetRequiredService<QuotaPersistence>());
        services.TryAddSingleton(sp => new DispatcherActivation(
            sp.GetRequiredService<QuotaPersistence>(), sp.GetRequiredService<DispatchShares>(), sp.GetRequiredService<JobLedger>(), sp.GetRequiredService<ILogger<DispatcherActivation>>()));
        services.AddHostedService<ShareSubscriptions>();
        services.AddHostedService<ShareBalancer>();
        services.AddOptions<ReconcilerOptions>().BindConfiguration(ReconcilerOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<Reconciler>();
        services.AddHostedService(sp => sp.GetRequiredService<Reconciler>());
        services.TryAddSingleton<ResultPublisher>();
        services.TryAddSingleton<BatchControls>();
        services.TryAddSingleton<BatchLifecycle>();
        services.AddOptions<LifecycleOptions>().BindConfiguration(LifecycleOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<BatchExpiry>();
        services.AddHostedService(sp => sp.GetRequiredService<BatchExpiry>());
        services.TryAddSingleton<BatchRequestApplier>();
        services.AddHostedService(sp => sp.GetRequiredService<BatchRequestApplier>());
        services.TryAddSingleton<InFlightJobs>();
        services.TryAddSingleton<JobDispatch>();
        services.TryAddSingleton<PromptEstimates>();
        // Attempts for a busy deployment go out in packs of up to 64 while two sends to its
        // queue await confirmation; a pack bounds what a worker's crash makes it run again.
        services.TryAddSingleton(sp => PackingSender<CompletionWork, CompletionWorkPack>.Through(
            sp.GetRequiredService<IBus>(), work => new CompletionWorkPack(work), new PackingLimits(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<DispatcherInstrumentation>();
        return services;
    }

    /// <summary>Creates the ledger's schema before the bus starts consuming.</summary>
    private sealed class LedgerInitializer(JobLedger ledger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => ledger.InitializeAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
