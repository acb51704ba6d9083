namespace Dispatcher.ServiceDefaults.Telemetry;

/// <summary>What a process exports: its service name, and the meters and activity sources it listens to.</summary>
/// <param name="ServiceName">The <c>service.name</c> resource attribute.</param>
/// <param name="Meters">Meter names: the role's own and MassTransit's (<see cref="MassTransit"/>).</param>
/// <param name="Sources">Activity source names.</param>
/// <param name="Instrumentation">
/// The singleton that owns the role's meter, created when the host starts so its gauges report
/// from the first scrape rather than from the first message; null when the role has none.
/// </param>
public sealed record TelemetrySignals(string ServiceName, IReadOnlyList<string> Meters, IReadOnlyList<string> Sources, Type? Instrumentation = null)
{
    /// <summary>The name of MassTransit's own meter and activity source.</summary>
    public const string MassTransit = "MassTransit";
}
