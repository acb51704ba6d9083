namespace Dispatcher.Ledger;

/// <summary>
/// A command on a batch recorded in the ledger for the dispatcher that runs on it to apply
/// (<see cref="JobLedger.RecordBatchRequestAsync"/>); <see cref="BatchRequestCommand"/> names the command.
/// </summary>
/// <param name="RequestId">The request's id.</param>
/// <param name="BatchId">The batch it applies to.</param>
/// <param name="Command">What to do: <see cref="BatchRequestCommand"/>.</param>
/// <param name="Reason">Why (a cancel's reason); null for none.</param>
/// <param name="RequestedAt">When it was recorded (round-trip UTC text).</param>
public sealed record BatchRequest(string RequestId, string BatchId, string Command, string? Reason, string RequestedAt);
