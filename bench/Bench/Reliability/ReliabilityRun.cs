namespace Dispatcher.Bench.Reliability;

/// <summary>What one batch run left behind, counted from its result files, its ledger and the providers' call audit.</summary>
/// <param name="Label">What the run did to the batch.</param>
/// <param name="Jobs">Jobs submitted.</param>
/// <param name="SubmitterExit">The Submitter's exit code (0: every job ended).</param>
/// <param name="Lost">Custom ids with no line in the output or error file.</param>
/// <param name="DuplicateLines">Result lines beyond one per custom id.</param>
/// <param name="Succeeded">Jobs that ended with a completion.</param>
/// <param name="Failed">Jobs that ended failed.</param>
/// <param name="ProviderCalls">Calls the providers received.</param>
/// <param name="DuplicateCalls">Calls beyond one per (job, attempt).</param>
/// <param name="Attempts">Attempts the dispatcher sent (the highest attempt of each job, summed).</param>
/// <param name="Completion">From the start of the submit to the Submitter's exit.</param>
/// <param name="Faults">The faults injected, with the share of the batch ended at each.</param>
internal sealed record ReliabilityRun(
    string Label,
    int Jobs,
    int SubmitterExit,
    int Lost,
    int DuplicateLines,
    long Succeeded,
    long Failed,
    int ProviderCalls,
    int DuplicateCalls,
    long Attempts,
    TimeSpan Completion,
    IReadOnlyList<string> Faults);
