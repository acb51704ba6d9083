namespace Dispatcher.Catalog;

/// <summary>The calendar period (UTC) a spend cap applies to.</summary>
public enum BudgetPeriod
{
    /// <summary>Each clock hour.</summary>
    Hour,
    /// <summary>Each UTC day.</summary>
    Day,
    /// <summary>Each week, starting Monday 00:00 UTC.</summary>
    Week,
    /// <summary>Each calendar month.</summary>
    Month,
    /// <summary>For all time.</summary>
    Total,
}
