namespace Dispatcher.Ledger;

/// <summary>
/// An attempt's estimated cost reserved against a cap's account in the ledger, in the same write
/// as the attempt's claim (<see cref="JobLedger.ClaimAttemptAsync"/>), so dispatchers sharing the
/// ledger can never both pass the cap.
/// </summary>
/// <param name="CapKey">The cap's key (<c>tenant:NAME</c>).</param>
/// <param name="PeriodStart">The start of the cap's current period: the account the hold is made on.</param>
/// <param name="Limit">The cap: spent plus reserved never goes above it.</param>
/// <param name="Estimate">The attempt's estimated cost.</param>
/// <param name="Replaced">The estimate held by the claim a resend replaces (0 for a new attempt), given back in the same write.</param>
public readonly record struct SpendHold(string CapKey, DateTimeOffset PeriodStart, decimal Limit, decimal Estimate, decimal Replaced);
