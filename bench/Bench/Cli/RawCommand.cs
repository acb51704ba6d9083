using System.CommandLine;
using Dispatcher.Bench.Broker;

namespace Dispatcher.Bench.Cli;

/// <summary><c>raw</c>: the raw broker baseline with one-job messages, full intake chunks and full work packs.</summary>
internal static class RawCommand
{
    public static Command Create()
    {
        var messages = new Option<int>("--raw-messages")
        {
            Description = "One-job messages in each run.",
            DefaultValueFactory = _ => 20_000,
        };
        var largeMessages = new Option<int>("--raw-large-messages")
        {
            Description = "Chunk and pack messages in each run.",
            DefaultValueFactory = _ => 10_000,
        };
        var inFlight = BenchOptions.InFlight();
        var prefetch = BenchOptions.Prefetch();
        var timeout = BenchOptions.Timeout();
        var quietWait = BenchOptions.QuietWait();
        var command = new Command("raw", "The raw broker baseline (RabbitMQ.Client alone) with messages of one job, of a full intake chunk and of a full work pack: messages/s and jobs/s.")
        {
            messages, largeMessages, inFlight, prefetch, timeout, quietWait,
        };
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(prefetch) is not (>= 1 and <= ushort.MaxValue) and var bad)
            {
                throw new ArgumentOutOfRangeException("--prefetch", bad, "must be between 1 and 65535");
            }

            var settings = new RawSizesSettings(
                parse.GetValue(messages), parse.GetValue(largeMessages), parse.GetValue(inFlight), (ushort)parse.GetValue(prefetch),
                parse.GetValue(timeout), parse.GetValue(quietWait));
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.Messages, "--raw-messages");
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.LargeMessages, "--raw-large-messages");
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.InFlight, "--in-flight");
            await using var session = await BenchSession.StartAsync(Console.Out, ct);
            Console.WriteLine();
            Console.WriteLine("== raw ==");
            var runs = await new RawSizesBenchmark(session.Node, settings, Console.Out).RunAsync(session.WorkFolder, ct);
            RawSizesReport.Print(runs, Console.Out);
            return 0;
        });
        return command;
    }
}
