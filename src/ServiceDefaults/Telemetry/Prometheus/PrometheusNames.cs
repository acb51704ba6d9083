using System.Text;

namespace Dispatcher.ServiceDefaults.Telemetry.Prometheus;

/// <summary>
/// Turns OpenTelemetry instrument and attribute names into Prometheus names: every character
/// outside <c>[a-zA-Z0-9_:]</c> (label names: <c>[a-zA-Z0-9_]</c>) becomes <c>_</c>, and a
/// leading digit gets a <c>_</c> in front. Units are not appended, so names stay the ones the
/// dashboards were built on (<c>dispatcher.provider.latency</c> → <c>dispatcher_provider_latency</c>).
/// </summary>
public static class PrometheusNames
{
    /// <summary>The family name of an instrument, before any <c>_total</c> or histogram suffix.</summary>
    public static string Metric(string instrumentName) => Sanitize(instrumentName, allowColon: true);

    /// <summary>A label name from an attribute key.</summary>
    public static string Label(string attributeKey) => Sanitize(attributeKey, allowColon: false);

    private static string Sanitize(string name, bool allowColon)
    {
        if (name.Length == 0)
        {
            return "_";
        }

        var text = new StringBuilder(name.Length + 1);
        if (char.IsAsciiDigit(name[0]))
        {
            text.Append('_');
        }

        foreach (var c in name)
        {
            text.Append(char.IsAsciiLetterOrDigit(c) || c == '_' || (allowColon && c == ':') ? c : '_');
        }

        return text.ToString();
    }
}
