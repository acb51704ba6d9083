namespace Dispatcher.Ledger;

/// <summary>A cap's account for one period as the ledger holds it (<see cref="JobLedger.GetSpendAccountAsync"/>).</summary>
/// <param name="Spent">The real cost of the period's ended calls.</param>
/// <param name="Reserved">The estimates of attempts under way.</param>
public sealed record SpendAccount(decimal Spent, decimal Reserved);
