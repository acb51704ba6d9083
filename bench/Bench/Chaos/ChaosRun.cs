using Dispatcher.Bench.Faults;
using Dispatcher.Bench.Quota;

namespace Dispatcher.Bench.Chaos;

/// <summary>What one chaos run left behind, and whether it kept every guarantee.</summary>
/// <param name="Number">The run's number (1-based).</param>
/// <param name="Seed">The seed its faults were drawn with.</param>
/// <param name="Jobs">Jobs submitted.</param>
/// <param name="SubmitterExit">The Submitter's exit code (0: every job ended).</param>
/// <param name="Tally">Result lines and ledger counts.</param>
/// <param name="ProviderCalls">Calls the providers received.</param>
/// <param name="RepeatedCalls">Calls beyond one per (job, attempt).</param>
/// <param name="RepeatedByFault">Repeated calls per fault kind they are owed to.</param>
/// <param name="Peaks">Per deployment, the busiest quota window: first calls only, and every call.</param>
/// <param name="Final">The dispatcher's in-memory lifecycles once the batch had ended.</param>
/// <param name="Windows">What the dispatcher's quota windows still counted then.</param>
/// <param name="Completion">From the start of the submit to the Submitter's exit.</param>
/// <param name="Faults">The fault log.</param>
/// <param name="Failures">The guarantee checks that failed; empty when the run kept them all.</param>
internal sealed record ChaosRun(
    int Number,
    int Seed,
    int Jobs,
    int SubmitterExit,
    BatchTally Tally,
    int ProviderCalls,
    int RepeatedCalls,
    IReadOnlyDictionary<string, int> RepeatedByFault,
    IReadOnlyDictionary<string, (int FirstCalls, int AllCalls)> Peaks,
    DispatcherReading Final,
    WindowReading Windows,
    TimeSpan Completion,
    IReadOnlyList<InjectedFault> Faults,
    IReadOnlyList<string> Failures);
