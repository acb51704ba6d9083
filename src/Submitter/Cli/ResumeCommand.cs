using System.CommandLine;
using Dispatcher.Contracts;
using Dispatcher.Ledger;

namespace Dispatcher.Submitter.Cli;

/// <summary><c>resume BATCH</c>: a paused batch's queued jobs go back to routing.</summary>
internal static class ResumeCommand
{
    public static Command Create() =>
        new BatchCommand(
                "resume",
                b => b.State switch
                {
                    BatchState.Paused => null,
                    BatchState.Validating or BatchState.InProgress => "already running (not paused)",
                    _ => $"{b.State}: only a paused batch can be resumed",
                },
                (id, _) => new ResumeBatch(id),
                state => state != BatchState.Paused)
            .Create("Resume a paused batch on a running dispatcher (an embedded `run` of the same ledger, RabbitMQ, or --dispatcher URL): its queued jobs go back to routing. Prints the batch's state.");
}
