using System.CommandLine;
using Dispatcher.Submitter.Hosting;
using Dispatcher.Submitter.Results;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatcher.Submitter.Cli;

/// <summary><c>consume</c>: prints result events as they arrive, one JSON object per line on stdout.</summary>
internal static class ConsumeCommand
{
    public static Command Create()
    {
        var config = CommonOptions.Config();
        var max = new Option<int?>("--max") { Description = "Stop after this many results." };
        var duration = new Option<TimeSpan?>("--duration") { Description = "Stop after this long (hh:mm:ss); default: until Ctrl+C." };
        var queue = new Option<string?>("--queue")
        {
            Description = "Read from this durable queue (bound to the result exchanges; results wait there while nobody reads). Default: a temporary queue.",
        };
        var command = new Command("consume", "Print result events (succeeded and failed) live as JSONL.") { config, max, duration, queue };
        command.SetAction(async (parse, ct) =>
        {
            var configFile = parse.GetValue(config);
            if (!BrokerRequirement.Check(SubmitterHosts.LoadConfiguration(configFile), "consume"))
            {
                return ExitCodes.InvalidInput;
            }

            var stream = new ResultStream();
            using var host = SubmitterHosts.Producer(configFile, s => s.AddSingleton(stream), new ResultsModule(parse.GetValue(queue)));
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (parse.GetValue(duration) is { } d)
            {
                stop.CancelAfter(d);
            }

            await host.StartAsync(ct);
            var limit = parse.GetValue(max) ?? int.MaxValue;
            var count = 0;
            try
            {
                await foreach (var line in stream.Lines.ReadAllAsync(stop.Token))
                {
                    await Console.Out.WriteLineAsync(line);
                    if (++count >= limit)
                    {
                        break;
                    }
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // --duration ran out.
            }
            finally
            {
                await host.StopAsync(CancellationToken.None);
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
