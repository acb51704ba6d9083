using Dispatcher.Ledger;

namespace Integration.Tests.Support;

/// <summary>Waiting on the ledger in pipeline tests.</summary>
public static class LedgerPolling
{
    /// <summary>Polls the ledger until the batch completes; fails the test after <paramref name="timeout"/>.</summary>
    public static async Task<BatchStatus> WaitForBatchAsync(JobLedger ledger, string batchId, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        BatchStatus? status = null;
        while (DateTime.UtcNow < deadline)
        {
            status = await ledger.GetBatchStatusAsync(batchId, default);
            if (status is { IsComplete: true })
            {
                return status;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"batch {batchId} did not complete: {status}");
    }
}
