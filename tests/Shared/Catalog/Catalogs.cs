using Dispatcher.Catalog;
using Microsoft.Extensions.Options;

namespace Dispatcher.Tests.Support;

/// <summary>Small catalogs for tests.</summary>
public static class Catalogs
{
    public static DeploymentOptions Deployment(string id, string group = "g", int priority = 0, int context = 128_000) =>
        new() { Id = id, ModelGroup = group, Priority = priority, ContextWindow = context };

    public static IOptions<CatalogOptions> Of(string strategy, params DeploymentOptions[] deployments) =>
        Options.Create(new CatalogOptions
        {
            Deployments = [.. deployments],
            ModelGroups = deployments.Select(d => d.ModelGroup).Distinct().Select(g => new ModelGroupOptions { Name = g, Strategy = strategy }).ToList(),
        });
}
