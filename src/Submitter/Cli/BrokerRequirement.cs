using Dispatcher.ServiceDefaults.Messaging;
using Microsoft.Extensions.Configuration;
using Spectre.Console;

namespace Dispatcher.Submitter.Cli;

/// <summary>Commands that talk to a running dispatcher need a broker between them.</summary>
internal static class BrokerRequirement
{
    /// <summary>False, after saying why, when the configured transport is the in-memory one.</summary>
    public static bool Check(IConfiguration configuration, string command)
    {
        var kind = configuration.GetSection(TransportOptions.Section).Get<TransportOptions>()?.Kind ?? TransportKind.InMemory;
        if (kind == TransportKind.RabbitMq)
        {
            return true;
        }

        AnsiConsole.MarkupLine(
            $"[red]error:[/] '{command}' talks to a dispatcher through a broker, but Transport:Kind is InMemory. " +
            "Set Transport:Kind to RabbitMq (for example DISPATCHER_Transport__Kind=RabbitMq), pass --dispatcher URL with the Batch API key in DISPATCHER_API_KEY, " +
            "or use 'run' for the embedded pipeline.");
        return false;
    }
}
