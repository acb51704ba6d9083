using System.CommandLine;
using Dispatcher.Ledger;
using Dispatcher.Submitter.Hosting;
using Dispatcher.Submitter.Status;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spectre.Console;

namespace Dispatcher.Submitter.Cli;

/// <summary>
/// <c>status [BATCH]</c>: every queue, each deployment's quota use and breaker, budgets and batch
/// progress, from the dispatcher's status API when it answers, else from the ledger and the broker.
/// </summary>
internal static class StatusCommand
{
    public static Command Create(IAnsiConsole? console = null)
    {
        var batch = new Argument<string?>("batch") { Description = "A batch id to show; omit to show the recent batches.", Arity = ArgumentArity.ZeroOrOne };
        var config = CommonOptions.Config();
        var ledger = CommonOptions.Ledger();
        var dispatcher = CommonOptions.Dispatcher();
        var command = new Command(
            "status",
            "Show queues (ready, unacked, consumers, rates), each deployment's quota use and breaker, budgets and batch progress. " +
            "Read from the dispatcher's /api/status when it answers, else from the ledger and the RabbitMQ management API.")
        {
            batch, config, ledger, dispatcher,
        };
        command.SetAction(async (parse, ct) =>
        {
            var output = console ?? AnsiConsole.Console;
            using var host = SubmitterHosts.LedgerOnly(parse.GetValue(config), parse.GetValue(ledger));
            await host.StartAsync(ct);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            if (!TryCreateReader(host, http, parse.GetValue(dispatcher), out var reader))
            {
                return ExitCodes.InvalidInput;
            }

            var id = parse.GetValue(batch);
            var report = await reader.ReadAsync(id, ct);
            if (id is not null && report.Status.Batches.Recent.All(b => b.Id != id))
            {
                await Console.Error.WriteLineAsync($"error: batch '{id}' is not in the ledger {host.Services.GetRequiredService<JobLedger>().Location}");
                return ExitCodes.InvalidInput;
            }

            output.Write(StatusView.Create(report, id));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>A reader for the ledger host's configuration; false, after saying why, when the dispatcher address is not usable.</summary>
    public static bool TryCreateReader(IHost host, HttpClient http, string? dispatcherOption, out StatusReader reader)
    {
        var configuration = host.Services.GetRequiredService<IConfiguration>();
        try
        {
            reader = new StatusReader(
                http,
                StatusReader.ResolveDispatcher(dispatcherOption, configuration),
                configuration,
                host.Services.GetRequiredService<JobLedger>(),
                TimeProvider.System);
            return true;
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            reader = null!;
            return false;
        }
    }
}
