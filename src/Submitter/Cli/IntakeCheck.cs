using Dispatcher.Contracts;
using Dispatcher.ServiceDefaults.Messaging;
using Microsoft.Extensions.Configuration;
using RabbitMQ.Client.Exceptions;

namespace Dispatcher.Submitter.Cli;

/// <summary>
/// Before a producer publishes to RabbitMQ: the intake queue must exist (a dispatcher has
/// started at least once), or jobs sent to its exchange would have nowhere to go.
/// </summary>
internal static class IntakeCheck
{
    /// <summary>Null when the intake (or <paramref name="queue"/>) exists; otherwise what is wrong, without any credential.</summary>
    public static async Task<string?> ProblemAsync(IConfiguration configuration, CancellationToken ct, string queue = QueueNames.Intake)
    {
        var rabbit = configuration.GetSection(TransportOptions.Section).Get<TransportOptions>()?.RabbitMq ?? new RabbitMqOptions();
        var nodes = string.Join(", ", rabbit.Nodes());
        try
        {
            await using var connection = await rabbit.ConnectAsync("submitter intake check", ct);
            await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
            await channel.QueueDeclarePassiveAsync(queue, ct);
            return null;
        }
        catch (OperationInterruptedException)
        {
            var what = queue == QueueNames.Intake ? "the intake queue" : "the dispatcher's queue";
            return $"{what} '{queue}' does not exist on {nodes} (virtual host '{rabbit.VirtualHost}'): start the dispatcher once, then try again. Nothing was published.";
        }
        catch (BrokerUnreachableException)
        {
            return $"RabbitMQ at {nodes} (virtual host '{rabbit.VirtualHost}', user '{rabbit.Username}') is not reachable or refused the login. Nothing was published.";
        }
    }
}
