using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Dispatcher.ServiceDefaults.Shutdown;

/// <summary>Bounds how long every program of the product takes to stop.</summary>
public static class ShutdownServices
{
    /// <summary>
    /// Binds <see cref="ShutdownOptions"/> and applies its grace period to the host (every hosted
    /// service's stop shares it) and to the MassTransit bus: consumers keep their messages for
    /// <see cref="ShutdownOptions.ConsumerStopTimeout"/>, then their tokens are cancelled and what
    /// they abandon goes back to the broker unacknowledged. Safe to call more than once.
    /// </summary>
    public static IServiceCollection AddShutdownGrace(this IServiceCollection services)
    {
        if (services.Any(s => s.ServiceType == typeof(IValidateOptions<ShutdownOptions>)))
        {
            return services;
        }

        services.AddOptions<ShutdownOptions>().BindConfiguration(ShutdownOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ShutdownOptions>, ShutdownOptionsValidator>());
        services.AddOptions<HostOptions>().Configure<IOptions<ShutdownOptions>>((host, shutdown) => host.ShutdownTimeout = shutdown.Value.GracePeriod);
        services.AddOptions<MassTransitHostOptions>().Configure<IOptions<ShutdownOptions>>((bus, shutdown) =>
        {
            bus.ConsumerStopTimeout = shutdown.Value.ConsumerStopTimeout;
            bus.StopTimeout = shutdown.Value.BusStopTimeout;
        });
        return services;
    }
}
