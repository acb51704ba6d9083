using Dispatcher.Contracts;
using Dispatcher.Ledger;

namespace Dispatcher.BatchApi;

/// <summary>
/// A command on a batch through the API: when it cannot apply, the message to send (for a batch
/// id and the reason the caller gave, if any), and the states that show it recorded (the same
/// rules as the CLI's <c>cancel</c>, <c>pause</c>, <c>resume</c>).
/// </summary>
internal sealed record BatchCommandKind(Func<string, string?> Refusal, Func<string, string?, object> Message, Func<string, bool> IsRecorded)
{
    public static BatchCommandKind Cancel { get; } = new(
        state => state switch
        {
            BatchState.Completed or BatchState.Expired or BatchState.Failed => "it ended, there is nothing to cancel",
            _ => null,
        },
        (id, reason) => new CancelBatch(id, reason ?? "cancelled through the Batch API"),
        state => state is BatchState.Cancelling or BatchState.Cancelled);

    public static BatchCommandKind Pause { get; } = new(
        state => state switch
        {
            BatchState.Completed or BatchState.Expired or BatchState.Failed or BatchState.Cancelling or BatchState.Cancelled => "it cannot be paused",
            _ => null,
        },
        (id, _) => new PauseBatch(id),
        state => state == BatchState.Paused);

    public static BatchCommandKind Resume { get; } = new(
        _ => null,
        (id, _) => new ResumeBatch(id),
        state => state != BatchState.Paused);
}
