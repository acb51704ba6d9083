using System.Globalization;
using System.Text;

namespace Dispatcher.ServiceDefaults.Telemetry.Prometheus;

/// <summary>
/// Writes metric families in the Prometheus text exposition format, version 0.0.4: a
/// <c># HELP</c> and a <c># TYPE</c> line per family, then one line per sample, no timestamps.
/// Families that share a name (the same instrument name on two meters) are written as one.
/// </summary>
public static class PrometheusTextWriter
{
    /// <summary>The content type of the format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>Writes <paramref name="families"/> to <paramref name="output"/>.</summary>
    public static void Write(StringBuilder output, IEnumerable<PrometheusFamily> families)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(families);
        foreach (var group in families.GroupBy(f => f.Name, StringComparer.Ordinal))
        {
            var first = group.First();
            output.Append("# HELP ").Append(first.Name).Append(' ');
            AppendEscaped(output, first.Help, escapeQuotes: false);
            output.Append('\n');
            output.Append("# TYPE ").Append(first.Name).Append(' ').Append(TypeName(first.Type)).Append('\n');
            foreach (var sample in group.Where(f => f.Type == first.Type).SelectMany(f => f.Samples))
            {
                WriteSample(output, sample);
            }
        }
    }

    /// <summary>A sample value as the format spells it: shortest round-trip form, <c>+Inf</c>, <c>-Inf</c>, <c>NaN</c>.</summary>
    public static string FormatValue(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private static void WriteSample(StringBuilder output, PrometheusSample sample)
    {
        output.Append(sample.Name);
        if (sample.Labels.Count > 0)
        {
            output.Append('{');
            for (var i = 0; i < sample.Labels.Count; i++)
            {
                var (name, value) = sample.Labels[i];
                output.Append(i == 0 ? "" : ",").Append(name).Append("=\"");
                AppendEscaped(output, value, escapeQuotes: true);
                output.Append('"');
            }

            output.Append('}');
        }

        output.Append(' ').Append(FormatValue(sample.Value)).Append('\n');
    }

    // HELP text escapes backslash and line feed; label values also escape the double quote.
    private static void AppendEscaped(StringBuilder output, string text, bool escapeQuotes)
    {
        foreach (var c in text)
        {
            switch (c)
            {
                case '\\':
                    output.Append(@"\\");
                    break;
                case '\n':
                    output.Append(@"\n");
                    break;
                case '"' when escapeQuotes:
                    output.Append("\\\"");
                    break;
                default:
                    output.Append(c);
                    break;
            }
        }
    }

    private static string TypeName(PrometheusMetricType type) => type switch
    {
        PrometheusMetricType.Counter => "counter",
        PrometheusMetricType.Histogram => "histogram",
        _ => "gauge",
    };
}
