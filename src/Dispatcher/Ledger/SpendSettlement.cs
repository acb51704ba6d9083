namespace Dispatcher.Ledger;

/// <summary>
/// What an attempt's first report does to a cap's account in the ledger
/// (<see cref="JobLedger.RecordAttemptAsync(AttemptRow, SpendSettlement?, CancellationToken)"/>): its
/// estimate leaves the reserved amount and its real cost (0 for a failed call) joins the spent one.
/// </summary>
/// <param name="CapKey">The cap's key (<c>tenant:NAME</c>).</param>
/// <param name="PeriodStart">The start of the cap's current period.</param>
/// <param name="Estimate">The estimate the attempt's claim reserved.</param>
/// <param name="Actual">What the call really cost.</param>
public readonly record struct SpendSettlement(string CapKey, DateTimeOffset PeriodStart, decimal Estimate, decimal Actual);
