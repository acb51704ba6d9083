using System.CommandLine;
using Dispatcher.Submitter.Hosting;
using Dispatcher.Submitter.Status;
using Spectre.Console;

namespace Dispatcher.Submitter.Cli;

/// <summary>
/// <c>watch [BATCH]</c>: the <c>status</c> table set, refreshed live in the terminal. It stops by
/// itself when the watched batch finishes, after <c>--duration</c>, or on Ctrl+C.
/// </summary>
internal static class WatchCommand
{
    public static Command Create(IAnsiConsole? console = null)
    {
        var batch = new Argument<string?>("batch") { Description = "A batch id to follow: watching stops when it has finished. Omit to watch every recent batch.", Arity = ArgumentArity.ZeroOrOne };
        var interval = new Option<TimeSpan>("--interval")
        {
            Description = "Time between refreshes (hh:mm:ss, e.g. 00:00:02).",
            DefaultValueFactory = _ => TimeSpan.FromSeconds(2),
        };
        interval.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<TimeSpan>() < TimeSpan.FromMilliseconds(100))
            {
                r.AddError("--interval must be at least 00:00:00.1");
            }
        });
        var duration = new Option<TimeSpan?>("--duration") { Description = "Stop after this long (hh:mm:ss); default: until the batch finishes, or Ctrl+C." };
        var config = CommonOptions.Config();
        var ledger = CommonOptions.Ledger();
        var dispatcher = CommonOptions.Dispatcher();
        var command = new Command(
            "watch",
            "Show the status table set (queues, deployments, budgets, batches) and refresh it live until the batch finishes, --duration passes, or Ctrl+C.")
        {
            batch, interval, duration, config, ledger, dispatcher,
        };
        command.SetAction(async (parse, ct) =>
        {
            var output = console ?? AnsiConsole.Console;
            using var local = new LocalLedger(parse.GetValue(config), parse.GetValue(ledger));
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            if (!StatusCommand.TryCreateReader(SubmitterHosts.LoadConfiguration(parse.GetValue(config)), local.OpenAsync, http, parse.GetValue(dispatcher), out var reader))
            {
                return ExitCodes.InvalidInput;
            }

            var id = parse.GetValue(batch);
            var every = parse.GetValue(interval);
            using var timer = parse.GetValue(duration) is { } d ? new CancellationTokenSource(d, TimeProvider.System) : new CancellationTokenSource();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, timer.Token);
            var report = await reader.ReadAsync(id, ct);
            var finished = false;
            await output.Live(StatusView.Create(report, id)).AutoClear(false).StartAsync(async live =>
            {
                while (true)
                {
                    live.UpdateTarget(StatusView.Create(report, id));
                    live.Refresh();
                    finished = id is not null && report.Status.Batches.Recent.Any(b => b.Id == id && b.Complete);
                    if (finished)
                    {
                        return;
                    }

                    try
                    {
                        await Task.Delay(every, TimeProvider.System, stop.Token);
                        report = await reader.ReadAsync(id, stop.Token);
                    }
                    catch (OperationCanceledException) when (stop.IsCancellationRequested)
                    {
                        return;
                    }
                }
            });
            output.MarkupLine(finished
                ? $"batch [bold]{Markup.Escape(id!)}[/] finished."
                : ct.IsCancellationRequested ? "stopped." : "--duration passed.");
            return ExitCodes.Ok;
        });
        return command;
    }
}
