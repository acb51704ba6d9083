using Dispatcher.Bench.Broker;
using Dispatcher.Bench.Processes;
using Dispatcher.Ledger;

namespace Dispatcher.Bench.Pipeline;

/// <summary>The bounded waits of a stage that runs the product's programs: for them to consume, for a batch to end.</summary>
internal static class ProgramWaits
{
    /// <summary>How long the programs may take to start consuming.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private static readonly TimeSpan LedgerPoll = TimeSpan.FromMilliseconds(250);

    /// <summary>Waits until every queue has a consumer; fails when a program exits first.</summary>
    public static Task ConsumersAsync(BrokerClient broker, ChildProgram[] programs, string[] queues, CancellationToken ct) =>
        ConsumersAsync(broker, programs, queues, 1, ct);

    /// <summary>
    /// Waits until every queue has at least <paramref name="consumers"/> consumers (several
    /// dispatchers each on the intake, and on every share's queues, active or standby); fails when a program exits first.
    /// </summary>
    public static Task ConsumersAsync(BrokerClient broker, ChildProgram[] programs, string[] queues, int consumers, CancellationToken ct) =>
        Polling.UntilAsync(
            () =>
            {
                Array.ForEach(programs, p => p.ThrowIfExited());
                return broker.AllConsumedAsync(queues, consumers, ct);
            },
            TimeSpan.FromMilliseconds(200),
            StartTimeout,
            (consumers == 1 ? "the programs to consume " : $"{consumers} consumers on each of ") + string.Join(", ", queues),
            ct);

    /// <summary>Waits until the ledger shows the batch complete (polled every 250 ms); fails when a program exits first.</summary>
    public static async Task<BatchStatus> BatchEndedAsync(JobLedger ledger, string batchId, ChildProgram[] programs, TimeSpan timeout, CancellationToken ct)
    {
        BatchStatus? status = null;
        await Polling.UntilAsync(
            async () =>
            {
                Array.ForEach(programs, p => p.ThrowIfExited());
                status = await ledger.GetBatchStatusAsync(batchId, ct);
                return status is { IsComplete: true };
            },
            LedgerPoll,
            timeout,
            $"batch {batchId} to end in the ledger",
            ct);
        return status!;
    }
}
