using System.Globalization;

namespace Dispatcher.Bench.Reporting;

/// <summary>How figures are written in the bench's output: invariant culture, units spelled out.</summary>
internal static class Figures
{
    /// <summary>A rate with thousands separators.</summary>
    public static string Rate(double perSecond) => perSecond.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A count with thousands separators.</summary>
    public static string Count(long count) => count.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Seconds with two decimals.</summary>
    public static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>A ratio such as 0.42x.</summary>
    public static string Ratio(double ratio) => ratio.ToString("0.00", CultureInfo.InvariantCulture) + "x";

    /// <summary>A percentage without decimals.</summary>
    public static string Percent(double percent) => percent.ToString("0", CultureInfo.InvariantCulture) + " %";

    /// <summary>Bytes as MiB with one decimal.</summary>
    public static string Mib(long bytes) => (bytes / 1024.0 / 1024.0).ToString("0.0", CultureInfo.InvariantCulture);

    /// <summary>A number with one decimal.</summary>
    public static string One(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);
}
