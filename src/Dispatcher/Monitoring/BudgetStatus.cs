namespace Dispatcher.Monitoring;

/// <summary>Spend against one cap (<c>deployment:</c>, <c>group:</c> or <c>tenant:</c> key) in the current period.</summary>
public sealed record BudgetStatus(string Key, string Period, decimal Limit, decimal Spent, decimal Reserved);
