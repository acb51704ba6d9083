using System.CommandLine;

namespace Dispatcher.Bench.Cli;

/// <summary><c>all</c>: pipeline and bulk on one private node, the quota runs (embedded, no broker), then the micro-benchmarks.</summary>
internal static class AllCommand
{
    public static Command Create()
    {
        var pipeline = new PipelineCommand();
        var quota = new QuotaCommand();
        var sizes = BenchOptions.Sizes();
        var inProcess = BenchOptions.InProcess();
        var timeout = BenchOptions.Timeout();
        var command = new Command("all", "pipeline, bulk, quota and micro in turn.");
        pipeline.AddTo(command);
        quota.AddTo(command);
        command.Options.Add(sizes);
        command.Options.Add(inProcess);
        command.Options.Add(timeout);
        command.SetAction(async (parse, ct) =>
        {
            var settings = pipeline.Read(parse, parse.GetValue(timeout));
            var list = BenchOptions.ParseSizes(parse.GetRequiredValue(sizes));
            var quotaSettings = quota.Read(parse, parse.GetValue(timeout), settings.QuietWait);
            await using (var session = await BenchSession.StartAsync(Console.Out, ct))
            {
                await PipelineCommand.RunAsync(session, settings, ct);
                await BulkCommand.RunAsync(session, list, parse.GetValue(timeout), settings.QuietWait, ct);
                await QuotaCommand.RunAsync(session.WorkFolder, quotaSettings, ct);
            }

            return MicroCommand.Run(parse.GetValue(inProcess));
        });
        return command;
    }
}
