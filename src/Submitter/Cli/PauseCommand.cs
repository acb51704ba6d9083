using System.CommandLine;
using Dispatcher.Contracts;
using Dispatcher.Ledger;

namespace Dispatcher.Submitter.Cli;

/// <summary>
/// <c>pause BATCH</c>: no new attempt of the batch starts until <c>resume</c>; its jobs stay queued
/// (none lost or sent twice) and hold no quota, while other batches keep flowing.
/// </summary>
internal static class PauseCommand
{
    public static Command Create() =>
        new BatchCommand(
                "pause",
                b => b.State switch
                {
                    BatchState.Paused => "already paused",
                    BatchState.Validating or BatchState.InProgress => null,
                    _ => $"{b.State}: only a running batch can be paused",
                },
                (id, _) => new PauseBatch(id),
                state => state is not (BatchState.Validating or BatchState.InProgress))
            .Create("Pause a batch on a running dispatcher (an embedded `run` of the same ledger, RabbitMQ, or --dispatcher URL): no new attempt starts, its jobs stay queued without holding quota, other batches keep flowing. Prints the batch's state.");
}
