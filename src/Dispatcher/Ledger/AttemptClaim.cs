namespace Dispatcher.Ledger;

/// <summary>What the ledger made of a claim of an attempt (<see cref="JobLedger.ClaimAttemptAsync"/>).</summary>
public enum AttemptClaim
{
    /// <summary>The attempt is this caller's to send, its spend held.</summary>
    Claimed,

    /// <summary>Another delivery claimed it first, the job ended, or its batch holds it: nothing changed.</summary>
    Refused,

    /// <summary>Its estimate would take the cap's account over the cap: nothing changed.</summary>
    OverBudget,
}
