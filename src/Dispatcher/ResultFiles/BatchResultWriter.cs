using System.Text.Json;
using Dispatcher.Ledger;

namespace Dispatcher.ResultFiles;

/// <summary>
/// Writes a batch's results from the ledger as OpenAI Batch output JSONL (succeeded jobs) and
/// error JSONL (failed jobs): one line per custom id, never a duplicate, because the ledger
/// holds exactly one ended job per (batch, custom id).
/// </summary>
internal sealed class BatchResultWriter(JobLedger ledger)
{
    /// <summary>Writes both files into <paramref name="directory"/>; returns their paths and line counts.</summary>
    public async Task<BatchResultFiles> WriteAsync(string batchId, string directory, CancellationToken ct)
    {
        Directory.CreateDirectory(directory);
        var outputPath = Path.GetFullPath(Path.Combine(directory, $"{batchId}-output.jsonl"));
        var errorPath = Path.GetFullPath(Path.Combine(directory, $"{batchId}-errors.jsonl"));
        long succeeded = 0, failed = 0;
        await using (var output = new FileStream(outputPath, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16, useAsync: true))
        await using (var errors = new FileStream(errorPath, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16, useAsync: true))
        await using (var outputWriter = new Utf8JsonWriter(output))
        await using (var errorWriter = new Utf8JsonWriter(errors))
        {
            await foreach (var job in ledger.ReadFinishedJobsAsync(batchId, ct))
            {
                var (writer, stream) = job.State == JobState.Succeeded ? (outputWriter, output) : (errorWriter, errors);
                BatchOutputLine.Write(writer, job);
                await writer.FlushAsync(ct);
                writer.Reset();
                stream.WriteByte((byte)'\n');
                if (job.State == JobState.Succeeded)
                {
                    succeeded++;
                }
                else
                {
                    failed++;
                }
            }
        }

        return new BatchResultFiles(outputPath, succeeded, errorPath, failed);
    }
}
