using Dispatcher.Ledger;
using Dispatcher.ResultFiles;
using Spectre.Console;

namespace Dispatcher.Submitter.Cli;

/// <summary>The table printed when a batch ends: counts, tokens, cost, speed, where jobs went, and the files.</summary>
internal static class BatchSummary
{
    public static async Task PrintAsync(JobLedger ledger, string batchId, BatchStatus? status, BatchResultFiles files, TimeSpan elapsed, CancellationToken ct)
    {
        var table = new Table().Title($"batch {batchId}").HideHeaders().AddColumn("").AddColumn(new TableColumn("").RightAligned());
        if (status is not null)
        {
            table.AddRow("state", status.State);
            table.AddRow("jobs", $"{status.TotalJobs}");
            table.AddRow("succeeded", $"{status.Succeeded}");
            table.AddRow("failed", $"{status.Failed}");
            table.AddRow("unfinished", $"{status.Queued + status.Dispatched + status.NotYetReceived}");
            table.AddRow("prompt tokens", $"{status.PromptTokens:N0}");
            table.AddRow("completion tokens", $"{status.CompletionTokens:N0}");
            table.AddRow("cost", $"{status.Cost:F6}");
            table.AddRow("elapsed", $"{elapsed.TotalSeconds:F1} s");
            table.AddRow("throughput", $"{status.Finished / Math.Max(0.001, elapsed.TotalSeconds):F0} jobs/s");
        }

        foreach (var share in await ledger.GetDeploymentSharesAsync(batchId, ct))
        {
            table.AddRow($"via {Markup.Escape(share.DeploymentId)}", $"{share.Succeeded} ok / {share.Failed} failed");
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"results: [bold]{Markup.Escape(files.OutputPath)}[/] ({files.OutputLines} lines)");
        AnsiConsole.MarkupLine($"errors:  [bold]{Markup.Escape(files.ErrorPath)}[/] ({files.ErrorLines} lines)");
    }
}
