using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Dispatcher.Catalog;

/// <summary>Registers the catalog for any program that reads it.</summary>
public static class CatalogServices
{
    /// <summary>The catalog, bound from <c>Catalog</c> and validated on start, and the clock.</summary>
    public static IServiceCollection AddCatalog(this IServiceCollection services)
    {
        // Binding twice would append every deployment twice (the binder adds to lists).
        if (services.Any(s => s.ServiceType == typeof(IValidateOptions<CatalogOptions>)))
        {
            return services;
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<CatalogOptions>().BindConfiguration(CatalogOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CatalogOptions>, CatalogValidator>());
        return services;
    }
}
