using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Dispatcher.Contracts;
using Dispatcher.ServiceDefaults.Telemetry;

namespace Dispatcher.Workers.Monitoring;

/// <summary>
/// The workers' meter and activity source, with every instrument they record, created once per
/// process. Instrument names are a published interface (<c>worker_calls_total</c> and so on on
/// <c>/metrics</c>): do not rename them.
/// </summary>
public sealed class WorkerInstrumentation : IDisposable
{
    /// <summary>The name of the workers' <see cref="System.Diagnostics.Metrics.Meter"/> and <see cref="System.Diagnostics.ActivitySource"/>.</summary>
    public const string Name = "Dispatcher.Workers";

    /// <summary>What the workers program exports: this meter and source, and MassTransit's.</summary>
    public static TelemetrySignals Signals { get; } = new(
        "workers", [Name, TelemetrySignals.MassTransit], [Name, TelemetrySignals.MassTransit], typeof(WorkerInstrumentation));

    private readonly Counter<long> _calls;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _anomalies;
    private readonly Counter<long> _repeatsAvoided;
    private readonly ConcurrentDictionary<string, InFlightCount> _inFlight = new(StringComparer.Ordinal);

    /// <summary>Creates the instruments.</summary>
    public WorkerInstrumentation()
    {
        var version = typeof(WorkerInstrumentation).Assembly.GetName().Version?.ToString();
        ActivitySource = new ActivitySource(Name, version);
        Meter = new Meter(Name, version);
        _calls = Meter.CreateCounter<long>("worker.calls", "{call}", "Provider calls, by outcome (an error kind, None on success).");
        _duration = Meter.CreateHistogram<double>("worker.call.duration", "ms", "Time one provider call took, including the pipeline's timeout and breaker.");
        Meter.CreateObservableGauge("worker.inflight", ObserveInFlight, "{call}", "Provider calls under way in this process.");
        _anomalies = Meter.CreateCounter<long>(
            "worker.provider_anomalies", "{anomaly}", "Numbers a provider sent that cannot be true (a wait of centuries, a count beyond range), clamped or ignored; by deployment and kind.");
        _repeatsAvoided = Meter.CreateCounter<long>(
            "worker.repeats_avoided", "{attempt}", "Attempts delivered again whose outcome this process had already reported, confirmed: not called again.");
    }

    /// <summary>The workers' activity source.</summary>
    public ActivitySource ActivitySource { get; }

    /// <summary>The workers' meter.</summary>
    public Meter Meter { get; }

    /// <summary>
    /// Starts one provider call: its span, and its place in <c>worker.inflight</c>. End it with
    /// <see cref="WorkerCall.End"/>; dispose it in any case. The span joins the job's trace
    /// through the attempt's <see cref="CompletionWork.TraceParent"/> (the dispatcher's span that
    /// sent it); without one it is a child of the current activity.
    /// </summary>
    public WorkerCall BeginCall(CompletionWork work)
    {
        ArgumentNullException.ThrowIfNull(work);
        var activity = JobTrace.Start(ActivitySource, "worker.call", ActivityKind.Client, work.TraceParent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("job.id", work.JobId.ToString());
            activity.SetTag("job.attempt", work.Attempt);
            activity.SetTag("deployment", work.DeploymentId);
        }

        var count = _inFlight.GetOrAdd(work.DeploymentId, static _ => new InFlightCount());
        Interlocked.Increment(ref count.Value);
        return new WorkerCall(this, work.DeploymentId, count, activity);
    }

    /// <summary>Counts an attempt delivered again and not called again (<see cref="Consumers.ConfirmedOutcomes"/>).</summary>
    public void RepeatAvoided(string deploymentId) => _repeatsAvoided.Add(1, new KeyValuePair<string, object?>("deployment", deploymentId));

    /// <inheritdoc />
    public void Dispose()
    {
        Meter.Dispose();
        ActivitySource.Dispose();
    }

    internal void Record(string deploymentId, ErrorKind outcome, double milliseconds)
    {
        _calls.Add(1, new KeyValuePair<string, object?>("deployment", deploymentId), new("outcome", outcome.ToString()));
        _duration.Record(milliseconds, new KeyValuePair<string, object?>("deployment", deploymentId));
    }

    internal void ProviderAnomaly(string deploymentId, string kind) =>
        _anomalies.Add(1, new KeyValuePair<string, object?>("deployment", deploymentId), new("kind", kind));

    private IEnumerable<Measurement<int>> ObserveInFlight() =>
        _inFlight.Select(c => new Measurement<int>(Volatile.Read(ref c.Value.Value), new KeyValuePair<string, object?>("deployment", c.Key)));

    internal sealed class InFlightCount
    {
        public int Value;
    }
}
