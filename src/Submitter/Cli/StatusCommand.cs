using System.CommandLine;
using Dispatcher.Ledger;
using Dispatcher.Submitter.Hosting;
using Dispatcher.Submitter.Status;
using Microsoft.Extensions.Configuration;
using Spectre.Console;

namespace Dispatcher.Submitter.Cli;

/// <summary>
/// <c>status [BATCH]</c>: every queue, each deployment's quota use and breaker, budgets and batch
/// progress, from the dispatcher's status API when it answers (the local ledger is then not opened),
/// else from the ledger and the broker.
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
            using var local = new LocalLedger(parse.GetValue(config), parse.GetValue(ledger));
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            if (!TryCreateReader(SubmitterHosts.LoadConfiguration(parse.GetValue(config)), local.OpenAsync, http, parse.GetValue(dispatcher), out var reader))
            {
                return ExitCodes.InvalidInput;
            }

            var id = parse.GetValue(batch);
            var report = await reader.ReadAsync(id, ct);
            if (id is not null && report.Status.Batches.Recent.All(b => b.Id != id))
            {
                await Console.Error.WriteLineAsync($"error: batch '{id}' is not known to the {report.Origin}");
                return ExitCodes.InvalidInput;
            }

            output.Write(StatusView.Create(report, id));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// A reader for <paramref name="configuration"/>, falling back to the ledger <paramref name="ledger"/>
    /// opens when no dispatcher answers; false, after saying why, when the dispatcher address is not usable.
    /// </summary>
    public static bool TryCreateReader(
        IConfiguration configuration, Func<CancellationToken, Task<JobLedger>> ledger, HttpClient http, string? dispatcherOption, out StatusReader reader)
    {
        try
        {
            reader = new StatusReader(
                http,
                StatusReader.ResolveDispatcher(dispatcherOption, configuration),
                configuration,
                ledger,
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
