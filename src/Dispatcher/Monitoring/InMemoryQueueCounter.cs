using System.Collections.Concurrent;
using Dispatcher.ServiceDefaults.Management;
using MassTransit;

namespace Dispatcher.Monitoring;

/// <summary>
/// Queue depths on the embedded in-memory transport, which keeps its own counters private: the
/// bus's observers count what arrives at each queue (sends to it, publishes to an exchange bound
/// to it) and what its endpoint receives and finishes. Ready is arrived minus received, unacked
/// is received and not yet finished. A consume that faults counts as a message on the queue's
/// <c>_error</c> queue, where the transport moves it.
/// </summary>
/// <remarks>
/// A publish exchange's queues are learned from the first message consumed through it, since the
/// transport does not expose its bindings; publishes are counted per exchange from the start, so
/// nothing published before that is lost from the totals.
/// </remarks>
public sealed class InMemoryQueueCounter(TimeProvider time)
    : IQueueDepthReader, ISendObserver, IPublishObserver, IReceiveObserver, IReceiveEndpointObserver
{
    private const string ErrorSuffix = "_error";

    private readonly ConcurrentDictionary<string, QueueCounters> _queues = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Counter> _published = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _bindings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Arrived, long Received)> _previous = new(StringComparer.Ordinal);
    private readonly Lock _readLock = new();
    private long _previousAt = time.GetTimestamp();

    /// <inheritdoc />
    public string Source => "in-memory";

    /// <inheritdoc />
    public Task<IReadOnlyList<QueueDepthSample>> ReadAsync(CancellationToken ct)
    {
        lock (_readLock)
        {
            var now = time.GetTimestamp();
            var seconds = time.GetElapsedTime(_previousAt, now).TotalSeconds;
            _previousAt = now;
            var samples = new List<QueueDepthSample>();
            foreach (var (name, counters) in _queues.OrderBy(q => q.Key, StringComparer.Ordinal))
            {
                var arrived = Interlocked.Read(ref counters.Sent) + ArrivedThroughExchanges(name);
                var received = Interlocked.Read(ref counters.Received);
                var finished = Interlocked.Read(ref counters.Finished);
                double? inRate = null;
                double? outRate = null;
                if (_previous.TryGetValue(name, out var before) && seconds > 0)
                {
                    inRate = Math.Max(0, arrived - before.Arrived) / seconds;
                    outRate = Math.Max(0, received - before.Received) / seconds;
                }

                _previous[name] = (arrived, received);
                samples.Add(new QueueDepthSample(
                    name,
                    Math.Max(0, arrived - received),
                    Math.Max(0, received - finished),
                    Volatile.Read(ref counters.Consumers),
                    inRate,
                    outRate));
            }

            return Task.FromResult<IReadOnlyList<QueueDepthSample>>(samples);
        }
    }

    /// <inheritdoc />
    public Task PostSend<T>(SendContext<T> context)
        where T : class
    {
        if (QueueName(context.DestinationAddress) is { } queue)
        {
            Interlocked.Increment(ref Queue(queue).Sent);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task PostPublish<T>(PublishContext<T> context)
        where T : class
    {
        if (QueueName(context.DestinationAddress) is { } exchange)
        {
            _published.GetOrAdd(exchange, _ => new Counter()).Increment();
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task PreReceive(ReceiveContext context)
    {
        if (QueueName(context.InputAddress) is { } queue)
        {
            Interlocked.Increment(ref Queue(queue).Received);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task PostReceive(ReceiveContext context) => Finish(context);

    /// <inheritdoc />
    public Task ReceiveFault(ReceiveContext context, Exception exception) => Finish(context);

    /// <inheritdoc />
    public Task PostConsume<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType)
        where T : class
    {
        Bind(context);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task ConsumeFault<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType, Exception exception)
        where T : class
    {
        Bind(context);
        if (QueueName(context.ReceiveContext.InputAddress) is { } queue)
        {
            Interlocked.Increment(ref Queue(queue + ErrorSuffix).Sent);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task Ready(ReceiveEndpointReady ready)
    {
        if (QueueName(ready.InputAddress) is { } queue)
        {
            Volatile.Write(ref Queue(queue).Consumers, 1);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task Stopping(ReceiveEndpointStopping stopping) => Task.CompletedTask;

    /// <inheritdoc />
    public Task Completed(ReceiveEndpointCompleted completed)
    {
        if (QueueName(completed.InputAddress) is { } queue)
        {
            Volatile.Write(ref Queue(queue).Consumers, 0);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task Faulted(ReceiveEndpointFaulted faulted)
    {
        if (QueueName(faulted.InputAddress) is { } queue)
        {
            Volatile.Write(ref Queue(queue).Consumers, 0);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task PreSend<T>(SendContext<T> context)
        where T : class => Task.CompletedTask;

    /// <inheritdoc />
    public Task SendFault<T>(SendContext<T> context, Exception exception)
        where T : class => Task.CompletedTask;

    /// <inheritdoc />
    public Task PrePublish<T>(PublishContext<T> context)
        where T : class => Task.CompletedTask;

    /// <inheritdoc />
    public Task PublishFault<T>(PublishContext<T> context, Exception exception)
        where T : class => Task.CompletedTask;

    private Task Finish(ReceiveContext context)
    {
        if (QueueName(context.InputAddress) is { } queue)
        {
            Interlocked.Increment(ref Queue(queue).Finished);
        }

        return Task.CompletedTask;
    }

    private void Bind(ConsumeContext context)
    {
        var exchange = QueueName(context.DestinationAddress);
        var queue = QueueName(context.ReceiveContext.InputAddress);
        if (exchange is not null && queue is not null && exchange != queue && _published.ContainsKey(exchange))
        {
            _bindings.GetOrAdd(exchange, _ => new ConcurrentDictionary<string, byte>(StringComparer.Ordinal)).TryAdd(queue, 0);
        }
    }

    private long ArrivedThroughExchanges(string queue) =>
        _bindings.Where(b => b.Value.ContainsKey(queue)).Sum(b => _published.TryGetValue(b.Key, out var c) ? c.Value : 0);

    private QueueCounters Queue(string name) => _queues.GetOrAdd(name, _ => new QueueCounters());

    // loopback://localhost/provider.sim-east → provider.sim-east; exchange:completion-intake → completion-intake.
    private static string? QueueName(Uri? address)
    {
        if (address is null)
        {
            return null;
        }

        var name = (address.IsAbsoluteUri ? address.AbsolutePath : address.OriginalString).TrimEnd('/');
        var slash = name.LastIndexOf('/');
        name = slash >= 0 ? name[(slash + 1)..] : name;
        return name.Length == 0 ? null : Uri.UnescapeDataString(name);
    }

    private sealed class QueueCounters
    {
        public long Sent;
        public long Received;
        public long Finished;
        public int Consumers;
    }

    private sealed class Counter
    {
        private long _value;

        public long Value => Interlocked.Read(ref _value);

        public void Increment() => Interlocked.Increment(ref _value);
    }
}
