using System.Text.Json.Serialization;
using Dispatcher.Contracts;
using Dispatcher.ServiceDefaults.Shutdown;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Dispatcher.ServiceDefaults.Messaging;

/// <summary>Sets up the one MassTransit bus a process runs, for whichever roles it hosts.</summary>
public static class CompletionBus
{
    /// <summary>
    /// Adds each role's services, then the bus on the configured transport with the roles'
    /// consumers, stopped within <c>Shutdown:GracePeriod</c>. With no roles the bus only sends and
    /// publishes (a producer).
    /// </summary>
    public static IServiceCollection AddCompletionBus(this IServiceCollection services, IConfiguration configuration, params IBusModule[] modules)
    {
        foreach (var module in modules)
        {
            module.AddServices(services);
        }

        var transport = configuration.GetSection(TransportOptions.Section).Get<TransportOptions>() ?? new TransportOptions();
        services.AddOptions<TransportOptions>().BindConfiguration(TransportOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TransportOptions>, TransportOptionsValidator>());
        services.AddOptions<MessageRetryOptions>().BindConfiguration(MessageRetryOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MessageRetryOptions>, MessageRetryOptionsValidator>());
        services.AddOptions<MassTransitHostOptions>().Configure(o =>
        {
            // Without this the host reports started before the queues are bound, and messages
            // sent right after start can be dropped.
            o.WaitUntilStarted = true;
        });
        // How long stopping the bus and its consumers may take (Shutdown:GracePeriod).
        services.AddShutdownGrace();

        services.AddMassTransit(bus =>
        {
            // MassTransit would otherwise report usage to its vendor over the internet.
            bus.DisableUsageTelemetry();
            foreach (var module in modules)
            {
                module.AddConsumers(bus);
            }

            if (transport.Kind == TransportKind.RabbitMq)
            {
                bus.UsingRabbitMq((context, cfg) =>
                {
                    var rabbit = transport.RabbitMq;
                    var nodes = rabbit.Nodes();
                    cfg.Host(nodes[0].Host, (ushort)nodes[0].Port, rabbit.VirtualHost, h =>
                    {
                        h.Username(rabbit.Username);
                        h.Password(rabbit.ResolvePassword());
                        h.PublisherConfirmation = true;
                        h.Heartbeat(rabbit.Heartbeat);
                        if (nodes.Count > 1)
                        {
                            // Connects to the first node that answers and, when it is lost, to the next.
                            h.UseCluster(c =>
                            {
                                foreach (var node in nodes)
                                {
                                    c.Node(node.ToString());
                                }
                            });
                        }
                    });
                    // Seen after each endpoint's own configuration (so after any priority it set).
                    cfg.ConnectEndpointConfigurationObserver(new QueueTypeEndpointObserver(rabbit.QueueType));
                    Configure(context, cfg, modules);
                    // The result exchanges exist from the start, so a consumer can bind its queue
                    // to them before the first result is published (the broker would refuse it).
                    // After Configure, which names them.
                    cfg.DeployPublishTopology = true;
                    cfg.Publish<CompletionSucceeded>();
                    cfg.Publish<CompletionFailed>();
                });
            }
            else
            {
                bus.UsingInMemory((context, cfg) => Configure(context, cfg, modules));
            }
        });
        if (transport.Kind == TransportKind.RabbitMq && transport.RabbitMq.EndpointRestartAfter > TimeSpan.Zero)
        {
            // Registered after the bus, so it starts once the bus is up and stops before it.
            services.TryAddSingleton(TimeProvider.System);
            services.TryAddSingleton<ReceiveEndpointWatchdog>();
            services.AddReceiveEndpointObserver(sp => sp.GetRequiredService<ReceiveEndpointWatchdog>());
            services.AddHostedService(sp => sp.GetRequiredService<ReceiveEndpointWatchdog>());
        }

        return services;
    }

    private static void Configure<TEndpoint>(IBusRegistrationContext context, IBusFactoryConfigurator<TEndpoint> cfg, IBusModule[] modules)
        where TEndpoint : IReceiveEndpointConfigurator
    {
        cfg.ConfigureJsonSerializerOptions(options =>
        {
            // MassTransit indents its JSON by default: every message, and every request body the
            // dispatcher keeps from one, would be a third larger for nothing any reader needs.
            options.WriteIndented = false;
            var strings = options.Converters.FirstOrDefault(c => c is JsonConverter<decimal>);
            if (strings is not null && strings is not DecimalNumberJsonConverter)
            {
                options.Converters.Remove(strings);
                options.Converters.Insert(0, new DecimalNumberJsonConverter());
            }

            return options;
        });

        // Result exchanges get stable, documented names so any AMQP client can bind to them.
        cfg.Message<CompletionSucceeded>(m => m.SetEntityName(QueueNames.SucceededExchange));
        cfg.Message<CompletionFailed>(m => m.SetEntityName(QueueNames.FailedExchange));
        foreach (var module in modules)
        {
            module.ConfigureEndpoints(context, cfg);
        }
    }
}
