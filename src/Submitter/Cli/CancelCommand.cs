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
        var reason = new Option<string?>("--reason") { Description = "Why, added to each cancelled job's error message." };
        return new BatchCommand(
                "cancel",
                b => b.State switch
                {
                    BatchState.Cancelling or BatchState.Cancelled => "already " + b.State,
                    BatchState.Completed or BatchState.Expired or BatchState.Failed => $"{b.State}: it ended, there is nothing to cancel",
                    _ => null,
                },
                id => new CancelBatch(id),
                state => state is BatchState.Cancelling or BatchState.Cancelled)
            .Create(
                "Cancel a batch on a running dispatcher: no new attempt starts, attempts in flight finish and are kept, every other job ends batch_cancelled. Prints the batch's state.",
                (parse, id) => new CancelBatch(id, parse.GetValue(reason)),
                reason);
    }
}
