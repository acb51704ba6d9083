using System.CommandLine;
using Dispatcher.ServiceDefaults.Management;
using Dispatcher.ServiceDefaults.Messaging;
using Dispatcher.Submitter.Hosting;
using Dispatcher.Submitter.Queues;
using Microsoft.Extensions.Configuration;
using Spectre.Console;

namespace Dispatcher.Submitter.Cli;

/// <summary><c>queues</c>: ready / unacked / consumers / rates of every queue, from the RabbitMQ management API.</summary>
internal static class QueuesCommand
{
    public static Command Create()
    {
        var config = CommonOptions.Config();
        var command = new Command("queues", "Show every queue's depth (ready, unacked), consumers and rates from the RabbitMQ management API.") { config };
        command.SetAction(async (parse, ct) =>
        {
            var configuration = SubmitterHosts.LoadConfiguration(parse.GetValue(config));
            if (!BrokerRequirement.Check(configuration, "queues"))
            {
                return ExitCodes.InvalidInput;
            }

            var rabbit = configuration.GetSection(TransportOptions.Section).Get<TransportOptions>()!.RabbitMq;
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var client = new RabbitMqManagementClient(http, RabbitMqManagementOptions.ForBroker(rabbit));
            try
            {
                QueueDepthTable.Write(AnsiConsole.Console, await client.GetQueueDepthsAsync(ct));
                return ExitCodes.Ok;
            }
            catch (RabbitMqManagementException e)
            {
                await Console.Error.WriteLineAsync("error: " + e.Message);
                return ExitCodes.Failed;
            }
        });
        return command;
    }
}
