namespace Dispatcher.Retries;

/// <summary>What becomes of a job whose attempt failed.</summary>
public enum NextStepKind
{
    /// <summary>The job ends as failed and is dead-lettered.</summary>
    Fail,
    /// <summary>The job is re-routed at once to a deployment it has not failed on (the fallback queue).</summary>
    Fallback,
    /// <summary>The job waits out a delay (a retry delay queue), then goes back to routing.</summary>
    Retry,
}

/// <summary>The decision for a failed attempt, and what the next attempt must respect.</summary>
/// <param name="Kind">End, re-route now, or retry after a delay.</param>
/// <param name="Reason">Why, readably.</param>
/// <param name="Delay">How long to wait before the retry.</param>
/// <param name="Excluded">Deployments the next attempt must not go to.</param>
/// <param name="ModelGroups">The groups the next attempt is routed along, in order.</param>
public sealed record NextStep(NextStepKind Kind, string Reason, TimeSpan Delay, IReadOnlyList<string> Excluded, IReadOnlyList<string> ModelGroups)
{
    /// <summary>The job ends as failed.</summary>
    public static NextStep Fail(string reason) => new(NextStepKind.Fail, reason, TimeSpan.Zero, [], []);
}
