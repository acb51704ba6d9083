using System.Globalization;

namespace Dispatcher.Ledger;

/// <summary>
/// How the ledger keeps a cost: as the decimal's text in the invariant culture (jobs.cost_exact),
/// which SQLite stores as it is given, so every digit of the decimal comes back. A REAL keeps only
/// about 15 significant digits, and the spend rebuilt from the ledger on start must equal what run
/// time charged, to the last digit. Rows written before costs were kept so (or by an older version
/// since) have only the REAL column (jobs.cost), read as the decimal nearest it.
/// </summary>
internal static class StoredCost
{
    public static string ToText(decimal cost) => cost.ToString(CultureInfo.InvariantCulture);

    /// <summary>The cost of a row: its exact text when it has one, else its REAL; null when it has neither.</summary>
    public static decimal? Read(string? exact, double? real) =>
        exact is not null ? decimal.Parse(exact, NumberStyles.Float, CultureInfo.InvariantCulture)
        : real is { } value ? (decimal)value
        : null;
}
