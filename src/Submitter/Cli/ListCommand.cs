using System.CommandLine;
using System.Text.Json;
using Dispatcher.Ledger;
using Dispatcher.Submitter.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatcher.Submitter.Cli;

/// <summary>
/// <c>list</c>: the ledger's batches, newest first, a page at a time (<c>--limit</c>, <c>--after</c>,
/// as the Batch API pages), as a table or, with <c>--json</c>, as one JSON object in the Batch
/// API's list shape (<c>data</c>, <c>first_id</c>, <c>last_id</c>, <c>has_more</c>).
/// </summary>
internal static class ListCommand
{
    public static Command Create()
    {
        var config = CommonOptions.Config();
        var ledger = CommonOptions.Ledger();
        var limit = new Option<int>("--limit")
        {
            Description = "Most batches on the page (1-100).",
            DefaultValueFactory = _ => 20,
        };
        limit.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 100)
            {
                r.AddError("--limit must be from 1 to 100");
            }
        });
        var after = new Option<string?>("--after") { Description = "Start after this batch id (the last one of the previous page)." };
        var json = new Option<bool>("--json") { Description = "Print the page as JSON." };
        var command = new Command("list", "List batches, newest first.") { config, ledger, limit, after, json };
        command.SetAction(async (parse, ct) =>
        {
            using var host = SubmitterHosts.LedgerOnly(parse.GetValue(config), parse.GetValue(ledger));
            await host.StartAsync(ct);
            var store = host.Services.GetRequiredService<JobLedger>();
            var size = parse.GetValue(limit);
            var start = parse.GetValue(after);
            if (start is not null && await store.GetBatchStatusAsync(start, ct) is null)
            {
                await Console.Error.WriteLineAsync($"error: --after: batch '{start}' is not in the ledger {store.Location}");
                return ExitCodes.InvalidInput;
            }

            // One more than the page, to know whether another page follows.
            var rows = await store.ListBatchesAsync(size + 1, ct, start);
            var page = rows.Take(size).ToList();
            var more = rows.Count > size;
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    @object = "list",
                    data = page.Select(b => new
                    {
                        id = b.BatchId,
                        source = b.Source,
                        created_at = b.CreatedAt,
                        status = b.State,
                        request_counts = new { total = b.TotalJobs, completed = b.Succeeded, failed = b.Failed },
                        metadata = b.Metadata,
                    }),
                    first_id = page.FirstOrDefault()?.BatchId,
                    last_id = page.LastOrDefault()?.BatchId,
                    has_more = more,
                }));
                return ExitCodes.Ok;
            }

            // Plain columns, one batch a line: a bordered table would wrap the long ids at 80 columns.
            Console.WriteLine($"{"batch",-38}  {"created (UTC)",-16}  {"status",-11}  {"ended",15}  {"failed",6}  source");
            foreach (var b in page)
            {
                var created = DateTimeOffset.TryParse(b.CreatedAt, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var at)
                    ? at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture)
                    : b.CreatedAt;
                Console.WriteLine(
                    $"{b.BatchId,-38}  {created,-16}  {b.State,-11}  " +
                    $"{$"{b.Finished}/{b.TotalJobs?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}",15}  {b.Failed,6}  {b.Source}");
            }

            if (more)
            {
                Console.WriteLine($"more: list --after {page[^1].BatchId}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
