using Dispatcher.Bench.Faults;

namespace Dispatcher.Bench.Reliability;

/// <summary>What one batch run left behind, counted from its result files, its ledger and the providers' call audit.</summary>
/// <param name="Label">What the run did to the batch.</param>
/// <param name="Jobs">Jobs submitted.</param>
/// <param name="SubmitterExit">The Submitter's exit code (0: every job ended).</param>
/// <param name="Tally">Result lines and ledger counts.</param>
/// <param name="ProviderCalls">Calls the providers received.</param>
/// <param name="DuplicateCalls">Calls beyond one per (job, attempt).</param>
/// <param name="Completion">From the start of the submit to the Submitter's exit.</param>
/// <param name="Faults">The faults injected, with the share of the batch ended at each.</param>
internal sealed record ReliabilityRun(
    string Label,
    int Jobs,
    int SubmitterExit,
    BatchTally Tally,
    int ProviderCalls,
    int DuplicateCalls,
    TimeSpan Completion,
    IReadOnlyList<string> Faults);
