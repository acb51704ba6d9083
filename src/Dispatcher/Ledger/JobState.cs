namespace Dispatcher.Ledger;

/// <summary>The states a job moves through, as stored in the ledger.</summary>
public static class JobState
{
    /// <summary>Recorded, not yet sent to a deployment.</summary>
    public const string Queued = "queued";

    /// <summary>Sent to a deployment's queue; an outcome is awaited.</summary>
    public const string Dispatched = "dispatched";

    /// <summary>Ended with a completion.</summary>
    public const string Succeeded = "succeeded";

    /// <summary>Ended without a completion.</summary>
    public const string Failed = "failed";

    /// <summary>Whether <paramref name="state"/> is final.</summary>
    public static bool IsTerminal(string state) => state is Succeeded or Failed;
}
