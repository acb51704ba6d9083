using System.Threading.Channels;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Monitoring;
using Microsoft.Extensions.Options;

namespace Dispatcher.Breakers;

/// <summary>
/// The dispatcher's gate per deployment: closed → open (no jobs routed) → half-open (a bounded
/// number of probe jobs) → closed, or open again. Fed by attempt outcomes, read by routing;
/// every change is queued on <see cref="Changes"/> for the event publisher.
/// </summary>
public sealed class DeploymentBreakers : IBreakerStates
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Breaker> _breakers = new(StringComparer.Ordinal);
    private readonly List<Breaker> _ordered = [];
    private readonly TimeProvider _time;
    private readonly Channel<DeploymentBreakerChanged> _changes =
        Channel.CreateUnbounded<DeploymentBreakerChanged>(new UnboundedChannelOptions { SingleReader = true });

    // Breakers not closed. While it is zero, routing asks nothing under the lock: every gate is open.
    private int _notClosed;

    /// <summary>Builds one closed breaker per deployment, with its model group's thresholds.</summary>
    public DeploymentBreakers(IOptions<CatalogOptions> catalog, TimeProvider time)
    {
        _time = time;
        var now = time.GetUtcNow();
        foreach (var deployment in catalog.Value.Deployments)
        {
            var breaker = new Breaker(deployment.Id, catalog.Value.Group(deployment.ModelGroup).Breaker, now);
            _breakers[deployment.Id] = breaker;
            _ordered.Add(breaker);
        }
    }

    /// <summary>Every state change, in order, for whoever logs, records and publishes them.</summary>
    public ChannelReader<DeploymentBreakerChanged> Changes => _changes.Reader;

    /// <inheritdoc />
    public IReadOnlyList<DeploymentBreaker> Current
    {
        get
        {
            lock (_lock)
            {
                var now = _time.GetUtcNow();
                return _ordered.Select(b =>
                {
                    Advance(b, now);
                    return new DeploymentBreaker(b.DeploymentId, b.State, b.Reason, b.ChangedAt, b.Probes);
                }).ToArray();
            }
        }
    }

    /// <summary>
    /// Whether a job may be routed to the deployment now. When not, <paramref name="retryIn"/>
    /// says when it may be worth asking again: the end of the break, or a probe's outcome.
    /// </summary>
    public bool Allows(string deploymentId, out TimeSpan retryIn)
    {
        retryIn = TimeSpan.Zero;
        if (Volatile.Read(ref _notClosed) == 0)
        {
            return true;
        }

        lock (_lock)
        {
            if (!_breakers.TryGetValue(deploymentId, out var b))
            {
                return true;
            }

            var now = _time.GetUtcNow();
            Advance(b, now);
            switch (b.State)
            {
                case BreakerState.Closed:
                    return true;
                case BreakerState.HalfOpen when b.Probes < b.Options.HalfOpenProbes:
                    return true;
                case BreakerState.HalfOpen:
                    // Waiting for a probe's outcome; a settle wakes waiting jobs sooner.
                    retryIn = TimeSpan.FromSeconds(Math.Min(1, b.Options.BreakDurationSeconds));
                    return false;
                default:
                    retryIn = b.OpenUntil - now;
                    return false;
            }
        }
    }

    /// <summary>Counts a job routed to the deployment: while half-open, it is one of the probes.</summary>
    public void Admitted(string deploymentId)
    {
        if (Volatile.Read(ref _notClosed) == 0)
        {
            return;
        }

        lock (_lock)
        {
            if (_breakers.TryGetValue(deploymentId, out var b) && b.State == BreakerState.HalfOpen)
            {
                b.Probes++;
            }
        }
    }

    /// <summary>Takes back <see cref="Admitted"/> for a job that was routed but never sent.</summary>
    public void Released(string deploymentId)
    {
        lock (_lock)
        {
            if (_breakers.TryGetValue(deploymentId, out var b) && b.State == BreakerState.HalfOpen)
            {
                b.Probes = Math.Max(0, b.Probes - 1);
            }
        }
    }

    /// <summary>Feeds one attempt's outcome to its deployment's breaker.</summary>
    public void Record(string deploymentId, ErrorKind outcome)
    {
        lock (_lock)
        {
            if (!_breakers.TryGetValue(deploymentId, out var b))
            {
                return;
            }

            var now = _time.GetUtcNow();
            Advance(b, now);
            if (outcome == ErrorKind.Authentication)
            {
                Open(b, now, b.Options.AuthenticationBreakSeconds, "the provider refused the deployment's credentials");
                return;
            }

            var unhealthy = IsUnhealthy(outcome);
            var healthy = outcome == ErrorKind.None;
            switch (b.State)
            {
                case BreakerState.HalfOpen:
                    b.Probes = Math.Max(0, b.Probes - 1);
                    if (unhealthy)
                    {
                        Open(b, now, b.Options.BreakDurationSeconds, $"probe failed: {outcome}");
                    }
                    else if (healthy)
                    {
                        Change(b, BreakerState.Closed, now, "probe succeeded");
                    }

                    break;
                case BreakerState.Closed when unhealthy || healthy:
                    Sample(b, now, unhealthy);
                    break;
            }
        }
    }

    /// <summary>Outcomes that say the deployment itself is unwell; rate limits and bad requests do not.</summary>
    public static bool IsUnhealthy(ErrorKind outcome) => outcome is
        ErrorKind.ServerError or ErrorKind.Timeout or ErrorKind.ConnectionFailed or ErrorKind.MalformedResponse or ErrorKind.CircuitOpen;

    private void Sample(Breaker b, DateTimeOffset now, bool failed)
    {
        var window = TimeSpan.FromSeconds(b.Options.SamplingDurationSeconds);
        b.Samples.Enqueue((now, failed));
        b.Failures += failed ? 1 : 0;
        while (b.Samples.TryPeek(out var oldest) && now - oldest.At > window)
        {
            b.Samples.Dequeue();
            b.Failures -= oldest.Failed ? 1 : 0;
        }

        b.InARow = failed ? b.InARow + 1 : 0;
        if (b.InARow >= b.Options.ConsecutiveFailures)
        {
            Open(b, now, b.Options.BreakDurationSeconds, $"{b.InARow} unhealthy outcomes in a row");
        }
        else if (b.Samples.Count >= b.Options.MinimumThroughput && b.Failures >= b.Options.FailureRatio * b.Samples.Count)
        {
            Open(b, now, b.Options.BreakDurationSeconds, $"{b.Failures} of the last {b.Samples.Count} outcomes unhealthy");
        }
    }

    private void Open(Breaker b, DateTimeOffset now, double seconds, string reason)
    {
        b.OpenUntil = now + TimeSpan.FromSeconds(seconds);
        Change(b, BreakerState.Open, now, $"{reason}; open for {seconds:0.###} s");
    }

    // An open breaker whose break has ended lets probes through.
    private void Advance(Breaker b, DateTimeOffset now)
    {
        if (b.State == BreakerState.Open && now >= b.OpenUntil)
        {
            Change(b, BreakerState.HalfOpen, now, "break ended; probing");
        }
    }

    private void Change(Breaker b, BreakerState to, DateTimeOffset now, string reason)
    {
        var from = b.State;
        if ((from == BreakerState.Closed) != (to == BreakerState.Closed))
        {
            Volatile.Write(ref _notClosed, _notClosed + (to == BreakerState.Closed ? -1 : 1));
        }

        b.State = to;
        b.Reason = reason;
        b.ChangedAt = now;
        b.Probes = 0;
        b.Samples.Clear();
        b.Failures = 0;
        b.InARow = 0;
        if (from != to)
        {
            _changes.Writer.TryWrite(new DeploymentBreakerChanged(b.DeploymentId, from, to, reason, now));
        }
    }

    private sealed class Breaker(string deploymentId, BreakerGateOptions options, DateTimeOffset now)
    {
        public string DeploymentId { get; } = deploymentId;

        public BreakerGateOptions Options { get; } = options;

        public BreakerState State { get; set; } = BreakerState.Closed;

        public string? Reason { get; set; }

        public DateTimeOffset ChangedAt { get; set; } = now;

        public DateTimeOffset OpenUntil { get; set; }

        public int Probes { get; set; }

        public Queue<(DateTimeOffset At, bool Failed)> Samples { get; } = new();

        public int Failures { get; set; }

        public int InARow { get; set; }
    }
}
