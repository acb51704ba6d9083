namespace Dispatcher.ServiceDefaults.Telemetry.Prometheus;

/// <summary>A metric family as the text format writes it: one <c># HELP</c>, one <c># TYPE</c>, then its samples.</summary>
public sealed record PrometheusFamily(string Name, PrometheusMetricType Type, string Help, IReadOnlyList<PrometheusSample> Samples);
