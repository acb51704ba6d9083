using Dapper;
using Dispatcher.Bench.Processes;
using Microsoft.Data.Sqlite;

namespace Dispatcher.Bench.Faults;

/// <summary>How far a batch has come, read from the ledger file the dispatcher writes (read-only, never pooled).</summary>
internal static class LedgerProgress
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    /// <summary>A read-only connection to a ledger file another process writes.</summary>
    public static SqliteConnection Open(string ledgerPath) => new($"Data Source={ledgerPath};Mode=ReadOnly;Pooling=False");

    /// <summary>Jobs of the batch ended (succeeded or failed); 0 before the dispatcher has made the ledger.</summary>
    public static async Task<long> EndedAsync(string ledgerPath, string batchId, CancellationToken ct)
    {
        if (!File.Exists(ledgerPath))
        {
            return 0;
        }

        try
        {
            await using var ledger = Open(ledgerPath);
            return await ledger.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM jobs WHERE batch_id = @batchId AND state IN ('succeeded', 'failed')",
                new { batchId },
                cancellationToken: ct));
        }
        catch (SqliteException)
        {
            // The dispatcher has not made its tables yet.
            return 0;
        }
    }

    /// <summary>Waits until <paramref name="target"/> jobs of the batch have ended; returns how many had. Fails when <paramref name="submitter"/> exits first.</summary>
    public static async Task<long> WaitForEndedAsync(
        string ledgerPath, string batchId, long target, ChildProgram submitter, TimeSpan timeout, CancellationToken ct)
    {
        long ended = 0;
        await Polling.UntilAsync(
            async () =>
            {
                submitter.ThrowIfExited();
                ended = await EndedAsync(ledgerPath, batchId, ct);
                return ended >= target;
            },
            Poll,
            timeout,
            $"{target} jobs of the batch to end",
            ct);
        return ended;
    }
}
