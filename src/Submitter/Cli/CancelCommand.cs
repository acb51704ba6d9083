using System.CommandLine;
using Dispatcher.Contracts;
using Dispatcher.Ledger;

namespace Dispatcher.Submitter.Cli;

/// <summary>
/// <c>cancel BATCH</c>: no new attempt of the batch starts; the attempts in flight finish and are
/// kept; every other job ends <c>batch_cancelled</c>; the batch ends <c>cancelled</c>.
/// </summary>
internal static class CancelCommand
{
    public static Command Create()
    {
        var reason = new Option<string?>("--reason") { Description = "Why: kept with the batch (status shows it) and added to each cancelled job's error message, over RabbitMQ or the Batch API alike." };
        return new BatchCommand(
                "cancel",
                b => b.State switch
                {
                    BatchState.Cancelling or BatchState.Cancelled => "already " + b.State,
                    BatchState.Completed or BatchState.Expired or BatchState.Failed => $"{b.State}: it ended, there is nothing to cancel",
                    _ => null,
                },
                (id, why) => new CancelBatch(id, why),
                state => state is BatchState.Cancelling or BatchState.Cancelled)
            .Create(
                "Cancel a batch on a running dispatcher (an embedded `run` of the same ledger, RabbitMQ, or --dispatcher URL): no new attempt starts, attempts in flight finish and are kept, every other job ends batch_cancelled. Prints the batch's state.",
                reason);
    }
}
