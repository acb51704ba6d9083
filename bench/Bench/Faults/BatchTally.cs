using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Dispatcher.Bench.Faults;

/// <summary>
/// What a finished batch left behind, counted from the Submitter's output and error files and
/// from the ledger: the guarantees a fault must not break (one result line per custom id, every
/// job ended) and the work it took.
/// </summary>
/// <param name="Lost">Custom ids with no line in the output or error file.</param>
/// <param name="DuplicateLines">Result lines beyond one per custom id.</param>
/// <param name="StrayLines">Result lines whose custom id is not in the batch.</param>
/// <param name="Succeeded">Jobs that ended with a completion.</param>
/// <param name="Failed">Jobs that ended failed.</param>
/// <param name="Unfinished">Jobs of the batch the ledger holds that have not ended.</param>
/// <param name="LedgerJobs">Jobs of the batch the ledger holds (a resubmitted custom id must not add one).</param>
/// <param name="Attempts">Attempts the dispatcher sent (the highest attempt of each job, summed).</param>
internal sealed record BatchTally(
    int Lost, int DuplicateLines, int StrayLines, long Succeeded, long Failed, long Unfinished, long LedgerJobs, long Attempts)
{
    /// <summary>Counts batch <paramref name="batchId"/>, whose custom ids are <c>request-1</c>…<c>request-<paramref name="jobs"/></c>.</summary>
    public static async Task<BatchTally> CountAsync(FaultEnvironment env, string batchId, int jobs, CancellationToken ct)
    {
        var lines = new[] { $"{batchId}-output.jsonl", $"{batchId}-errors.jsonl" }
            .Select(name => Path.Combine(env.OutputFolder, name))
            .Where(File.Exists)
            .SelectMany(File.ReadLines)
            .Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()!)
            .ToList();
        var expected = Enumerable.Range(1, jobs).Select(i => $"request-{i}").ToHashSet(StringComparer.Ordinal);
        var distinct = lines.ToHashSet(StringComparer.Ordinal);

        await using var ledger = LedgerProgress.Open(env.LedgerPath);
        var counts = await ledger.QuerySingleAsync<(long Succeeded, long Failed, long Unfinished, long Jobs, long Attempts)>(new CommandDefinition(
            """
            SELECT COALESCE(SUM(state = 'succeeded'), 0), COALESCE(SUM(state = 'failed'), 0),
                   COALESCE(SUM(state NOT IN ('succeeded', 'failed')), 0), COUNT(*), COALESCE(SUM(attempts), 0)
            FROM jobs WHERE batch_id = @batchId
            """,
            new { batchId },
            cancellationToken: ct));
        return new BatchTally(
            expected.Count(id => !distinct.Contains(id)),
            lines.Count - distinct.Count,
            distinct.Count(id => !expected.Contains(id)),
            counts.Succeeded,
            counts.Failed,
            counts.Unfinished,
            counts.Jobs,
            counts.Attempts);
    }

    /// <summary>Whether the batch kept its guarantees: nothing lost, no second or stray line, no job left unfinished or added.</summary>
    public bool Whole(int jobs) => Lost == 0 && DuplicateLines == 0 && StrayLines == 0 && Unfinished == 0 && LedgerJobs == jobs;
}
