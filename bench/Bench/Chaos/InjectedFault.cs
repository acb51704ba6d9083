namespace Dispatcher.Bench.Chaos;

/// <summary>One fault of the log.</summary>
/// <param name="At">When it was injected (wall clock, to compare with the providers' call audit).</param>
/// <param name="Elapsed">Time since the submit started.</param>
/// <param name="Kind">What was done.</param>
/// <param name="Ended">Jobs of the batch ended in the ledger at that moment.</param>
/// <param name="Detail">Which process, how long the restart took, which lines.</param>
/// <param name="KilledPid">The pid of the process killed, for a kill.</param>
internal sealed record InjectedFault(DateTimeOffset At, TimeSpan Elapsed, FaultKind Kind, long Ended, string Detail, int? KilledPid = null);
