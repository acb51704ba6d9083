using Microsoft.Extensions.Configuration;

namespace Dispatcher.ServiceDefaults;

/// <summary>
/// Where every process reads its configuration: the shipped appsettings.json beside the
/// binary, then a user file named by <c>DISPATCHER_CONFIG</c> or <c>--config</c>, then
/// <c>DISPATCHER_</c>-prefixed environment variables (<c>DISPATCHER_Transport__Kind=RabbitMq</c>),
/// then command-line <c>--Key=value</c> pairs. The shipped sample catalog (catalog.json) is
/// used only when the user file has no <c>Catalog</c> section: configuration merges lists
/// by index, so a user's deployments layered over the sample ones would mix the two.
/// </summary>
public static class ConfigurationSources
{
    /// <summary>The environment variable naming an extra configuration file.</summary>
    public const string ConfigFileVariable = "DISPATCHER_CONFIG";

    /// <summary>Replaces the builder's sources with the product's.</summary>
    public static IConfigurationBuilder AddDispatcherSources(this IConfigurationBuilder builder, string[] args, string? configFile = null)
    {
        builder.Sources.Clear();
        builder.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: false);
        var file = configFile ?? Environment.GetEnvironmentVariable(ConfigFileVariable);
        string? userFile = null;
        if (!string.IsNullOrWhiteSpace(file))
        {
            userFile = Path.GetFullPath(file);
            if (!File.Exists(userFile))
            {
                throw new FileNotFoundException($"configuration file not found: {userFile}", userFile);
            }
        }

        var userHasCatalog = userFile is not null
            && new ConfigurationBuilder().AddJsonFile(userFile).Build().GetSection("Catalog").Exists();
        if (!userHasCatalog)
        {
            builder.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "catalog.json"), optional: false);
        }

        if (userFile is not null)
        {
            builder.AddJsonFile(userFile, optional: false);
        }

        builder.AddEnvironmentVariables("DISPATCHER_");
        builder.AddCommandLine(args.Where(a => a.StartsWith("--", StringComparison.Ordinal) && a.Contains('=')).ToArray());
        return builder;
    }
}
