using System.Globalization;
using System.Text.Json;
using Dispatcher.Ledger;
using Dispatcher.Submitter.Cli;

namespace Dispatcher.Submitter.Remote;

/// <summary>
/// What <c>submit --wait</c>, <c>results</c>, <c>cancel</c>, <c>pause</c> and <c>resume</c> do with
/// <c>--dispatcher URL</c>: the same through the dispatcher's Batch API.
/// </summary>
internal static class RemoteBatch
{
    private static readonly string[] Ended = [BatchState.Completed, BatchState.Cancelled, BatchState.Expired, BatchState.Failed];

    /// <summary>One line on a batch, e.g. <c>batch batch_…: in_progress (12 succeeded, 0 failed, of 100)</c>.</summary>
    public static string Describe(JsonElement batch)
    {
        var counts = batch.GetProperty("request_counts");
        return string.Create(
            CultureInfo.InvariantCulture,
            $"batch {batch.GetProperty("id").GetString()}: {batch.GetProperty("status").GetString()} ({counts.GetProperty("completed").GetInt64()} succeeded, {counts.GetProperty("failed").GetInt64()} failed, of {counts.GetProperty("total").GetInt64()})");
    }

    /// <summary>Prints a rejected batch's errors, each naming its line.</summary>
    public static void PrintErrors(JsonElement batch)
    {
        if (batch.GetProperty("errors") is { ValueKind: JsonValueKind.Object } errors)
        {
            foreach (var error in errors.GetProperty("data").EnumerateArray())
            {
                var line = error.GetProperty("line") is { ValueKind: JsonValueKind.Number } n ? $"line {n.GetInt32()}, " : "";
                var field = error.GetProperty("param") is { ValueKind: JsonValueKind.String } p ? $"field {p.GetString()}: " : "";
                Console.Error.WriteLine($"  {line}{field}{error.GetProperty("message").GetString()}");
            }
        }
    }

    /// <summary>Follows a batch until it ended (or <paramref name="timeout"/>), a line whenever it changes; null when it vanished.</summary>
    public static async Task<JsonElement?> FollowAsync(BatchApiClient api, string batchId, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        string? last = null;
        while (true)
        {
            if (await api.GetBatchAsync(batchId, ct) is not { } batch)
            {
                return null;
            }

            var line = Describe(batch);
            if (line != last)
            {
                Console.WriteLine(line);
                last = line;
            }

            if (Ended.Contains(batch.GetProperty("status").GetString()) || DateTimeOffset.UtcNow >= deadline)
            {
                return batch;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), ct);
        }
    }

    /// <summary>Writes a batch's output and error files from the API, as <c>results</c> writes them from the ledger.</summary>
    public static async Task WriteResultsAsync(BatchApiClient api, JsonElement batch, string folder, CancellationToken ct)
    {
        var id = batch.GetProperty("id").GetString()!;
        var outputPath = Path.GetFullPath(Path.Combine(folder, $"{id}-output.jsonl"));
        var errorPath = Path.GetFullPath(Path.Combine(folder, $"{id}-errors.jsonl"));
        var output = await api.DownloadAsync(batch.GetProperty("output_file_id").GetString(), outputPath, ct);
        var errors = await api.DownloadAsync(batch.GetProperty("error_file_id").GetString(), errorPath, ct);
        Console.WriteLine($"{outputPath}\t{output} lines");
        Console.WriteLine($"{errorPath}\t{errors} lines");
    }

    /// <summary>The exit code for a batch that ended, as <c>submit --wait</c> gives from the ledger.</summary>
    public static int ExitCode(JsonElement? batch) => batch?.GetProperty("status").GetString() switch
    {
        BatchState.Completed when batch.Value.GetProperty("request_counts").GetProperty("failed").GetInt64() == 0 => ExitCodes.Ok,
        BatchState.Completed or BatchState.Cancelled or BatchState.Expired => ExitCodes.JobsFailed,
        BatchState.Failed => ExitCodes.InvalidInput,
        null => ExitCodes.Failed,
        _ => ExitCodes.TimedOut,
    };
}
