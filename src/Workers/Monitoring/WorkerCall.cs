using System.Diagnostics;
using Dispatcher.Contracts;

namespace Dispatcher.Workers.Monitoring;

/// <summary>One provider call as the workers' instruments see it; made by <see cref="WorkerInstrumentation.BeginCall"/>.</summary>
public sealed class WorkerCall : IDisposable
{
    private readonly WorkerInstrumentation _owner;
    private readonly string _deploymentId;
    private readonly WorkerInstrumentation.InFlightCount _inFlight;
    private readonly Activity? _activity;
    private int _done;

    internal WorkerCall(WorkerInstrumentation owner, string deploymentId, WorkerInstrumentation.InFlightCount inFlight, Activity? activity)
    {
        _owner = owner;
        _deploymentId = deploymentId;
        _inFlight = inFlight;
        _activity = activity;
    }

    /// <summary>The W3C <c>traceparent</c> of the call's span, when it is recorded.</summary>
    public string? TraceParent => _activity?.Id;

    /// <summary>Records the call's outcome and duration, and ends its span.</summary>
    public void End(ErrorKind outcome, int? statusCode, double milliseconds)
    {
        if (Interlocked.Exchange(ref _done, 1) != 0)
        {
            return;
        }

        Interlocked.Decrement(ref _inFlight.Value);
        _owner.Record(_deploymentId, outcome, milliseconds);
        if (_activity is { IsAllDataRequested: true })
        {
            _activity.SetTag("outcome", outcome.ToString());
            _activity.SetTag("http.response.status_code", statusCode);
            if (outcome != ErrorKind.None)
            {
                _activity.SetStatus(ActivityStatusCode.Error, outcome.ToString());
            }
        }

        _activity?.Stop();
    }

    /// <summary>Ends the call without an outcome (it was cancelled): it leaves <c>worker.inflight</c> and its span ends.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _done, 1) != 0)
        {
            return;
        }

        Interlocked.Decrement(ref _inFlight.Value);
        _activity?.Dispose();
    }
}
