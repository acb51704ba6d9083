namespace Dispatcher.ServiceDefaults.Telemetry.Prometheus;

/// <summary>One line of a metric family: a series name (the family name plus a suffix such as <c>_bucket</c>), its labels and its value.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyList<KeyValuePair<string, string>> Labels, double Value);
