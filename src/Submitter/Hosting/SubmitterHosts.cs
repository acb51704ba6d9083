using Dispatcher.Hosting;
using Dispatcher.ServiceDefaults;
using Dispatcher.ServiceDefaults.Messaging;
using Dispatcher.ServiceDefaults.Shutdown;
using Dispatcher.ServiceDefaults.Telemetry;
using Dispatcher.Workers.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dispatcher.Submitter.Hosting;

/// <summary>The hosts the CLI commands run in.</summary>
internal static class SubmitterHosts
{
    /// <summary>
    /// The CLI's telemetry when it talks to a broker: MassTransit's send spans, so with an OTLP
    /// endpoint configured each job's trace starts where it was submitted.
    /// </summary>
    private static readonly TelemetrySignals SubmitterTelemetry =
        new("submitter", [TelemetrySignals.MassTransit], [TelemetrySignals.MassTransit]);

    /// <summary>
    /// The whole pipeline in this process: dispatcher and workers on the in-memory transport,
    /// the SQLite ledger, the catalog's providers (simulated by default).
    /// </summary>
    public static IHost Embedded(string? configFile, string? ledgerPath, Action<IServiceCollection>? configure = null) =>
        Build(configFile, ledgerPath, TransportKind.InMemory, (services, configuration) =>
        {
            services.AddDispatcher();
            services.AddWorkers();
            configure?.Invoke(services);
            services.AddCompletionBus(configuration, new DispatcherModule(), new WorkersModule());
        });

    /// <summary>A producer on the configured transport: it sends and publishes, consumes nothing unless given modules.</summary>
    public static IHost Producer(string? configFile, Action<IServiceCollection>? configure = null, params IBusModule[] modules) =>
        Build(configFile, null, null, (services, configuration) =>
        {
            configure?.Invoke(services);
            services.AddTelemetry(configuration, SubmitterTelemetry);
            services.AddCompletionBus(configuration, modules);
        });

    /// <summary>A producer on the configured transport that also reads the ledger (to follow what it sent).</summary>
    public static IHost ProducerWithLedger(string? configFile, string? ledgerPath) =>
        Build(configFile, ledgerPath, null, (services, configuration) =>
        {
            services.AddLedger();
            services.AddTelemetry(configuration, SubmitterTelemetry);
            services.AddCompletionBus(configuration);
        });

    /// <summary>The ledger alone, for status and results.</summary>
    public static IHost LedgerOnly(string? configFile, string? ledgerPath) =>
        Build(configFile, ledgerPath, null, (services, _) => services.AddLedger());

    /// <summary>The configuration a CLI command sees, without starting anything.</summary>
    public static IConfiguration LoadConfiguration(string? configFile) =>
        new ConfigurationBuilder().AddDispatcherSources([], configFile).Build();

    private static IHost Build(string? configFile, string? ledgerPath, TransportKind? transport, Action<IServiceCollection, IConfiguration> configure)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory, DisableDefaults = true });
        builder.Configuration.AddDispatcherSources([], configFile);
        var overrides = new Dictionary<string, string?>();
        if (ledgerPath is not null)
        {
            overrides["Ledger:Path"] = ledgerPath;
        }

        if (transport is not null)
        {
            overrides["Transport:Kind"] = transport.ToString();
        }

        builder.Configuration.AddInMemoryCollection(overrides);
        builder.Logging.ClearProviders();
        // The CLI owns the terminal (progress bars, JSONL on stdout): logs go to stderr, warnings
        // and up, whatever the shared configuration's Logging section sets for the services (its
        // Information default is for the long-running programs), and the host announces nothing.
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        configure(builder.Services, builder.Configuration);
        builder.Services.AddShutdownGrace();
        return builder.Build();
    }
}
