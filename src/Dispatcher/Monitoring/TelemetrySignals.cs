namespace Dispatcher.Monitoring;

/// <summary>What a process exports: its service name, and the meters and activity sources it listens to.</summary>
/// <param name="ServiceName">The <c>service.name</c> resource attribute.</param>
/// <param name="Meters">Meter names, e.g. <see cref="DispatcherInstrumentation.Name"/> and MassTransit's.</param>
/// <param name="Sources">Activity source names.</param>
public sealed record TelemetrySignals(string ServiceName, IReadOnlyList<string> Meters, IReadOnlyList<string> Sources);
