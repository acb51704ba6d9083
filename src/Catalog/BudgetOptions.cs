using System.ComponentModel.DataAnnotations;

namespace Dispatcher.Catalog;

/// <summary>A spend cap: at most <see cref="Limit"/> per <see cref="Period"/>.</summary>
public sealed class BudgetOptions
{
    /// <summary>Most that may be spent in a period, in the catalog's currency.</summary>
    [Range(typeof(decimal), "0", "1000000000")]
    public decimal Limit { get; set; }

    /// <summary>The period the cap applies to.</summary>
    public BudgetPeriod Period { get; set; } = BudgetPeriod.Day;

    /// <summary>When the period containing <paramref name="now"/> started.</summary>
    public DateTimeOffset PeriodStart(DateTimeOffset now)
    {
        var utc = now.ToUniversalTime();
        return Period switch
        {
            BudgetPeriod.Hour => new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero),
            BudgetPeriod.Day => new DateTimeOffset(utc.Year, utc.Month, utc.Day, 0, 0, 0, TimeSpan.Zero),
            BudgetPeriod.Week => new DateTimeOffset(utc.Date.AddDays(-(((int)utc.DayOfWeek + 6) % 7)), TimeSpan.Zero),
            BudgetPeriod.Month => new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero),
            _ => DateTimeOffset.MinValue,
        };
    }
}
