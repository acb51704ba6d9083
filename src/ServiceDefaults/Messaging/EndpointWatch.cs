namespace Dispatcher.ServiceDefaults.Messaging;

/// <summary>
/// What <see cref="ReceiveEndpointWatchdog"/> knows of each receive endpoint: when it last became ready or went down,
/// and since when the broker has shown no consumer on its queue. Decides which endpoints have
/// been down longer than the allowed time. Pure: the caller passes the time, and serializes calls.
/// </summary>
public sealed class EndpointWatch<TEndpoint>(TimeSpan restartAfter)
    where TEndpoint : class
{
    private readonly Dictionary<Uri, Entry> _entries = [];

    /// <summary>How long an endpoint may stay down before it is restarted.</summary>
    public TimeSpan RestartAfter { get; } = restartAfter;

    /// <summary>The endpoints seen so far, with their queue names.</summary>
    public IEnumerable<(Uri Address, string Queue)> Endpoints => _entries.Select(e => (e.Key, e.Value.Queue));

    /// <summary>The endpoint consumes again.</summary>
    public void Ready(Uri address, TEndpoint endpoint, DateTimeOffset now)
    {
        var entry = Get(address, endpoint);
        entry.DownSince = null;
        entry.NoConsumerSince = null;
        entry.Stopping = false;
    }

    /// <summary>The endpoint's consumer stopped or faulted; the transport may still bring it back.</summary>
    public void Down(Uri address, TEndpoint endpoint, DateTimeOffset now)
    {
        var entry = Get(address, endpoint);
        entry.DownSince ??= now;
    }

    /// <summary>The endpoint is being stopped on purpose (shutdown, or a restart already under way).</summary>
    public void Stopping(Uri address, TEndpoint endpoint) => Get(address, endpoint).Stopping = true;

    /// <summary>The watchdog stopped the endpoint and starts it again: it has a fresh period to become ready.</summary>
    public void Restarting(Uri address, DateTimeOffset now)
    {
        if (_entries.TryGetValue(address, out var entry))
        {
            entry.Stopping = false;
            entry.DownSince = now;
            entry.NoConsumerSince = null;
        }
    }

    /// <summary>What the broker reports for the endpoint's queue.</summary>
    public void Consumers(Uri address, int consumers, DateTimeOffset now)
    {
        if (_entries.TryGetValue(address, out var entry))
        {
            entry.NoConsumerSince = consumers > 0 ? null : entry.NoConsumerSince ?? now;
        }
    }

    /// <summary>
    /// The endpoints to restart now: down for longer than <see cref="RestartAfter"/>, or reported
    /// ready while the broker has shown no consumer on the queue for that long. Each one returned
    /// starts a fresh wait, so a restart that does not help is tried again only after another period.
    /// </summary>
    public IReadOnlyList<(Uri Address, TEndpoint Endpoint, string Reason)> Due(DateTimeOffset now)
    {
        List<(Uri, TEndpoint, string)>? due = null;
        foreach (var (address, entry) in _entries)
        {
            if (entry.Stopping)
            {
                continue;
            }

            string? reason = null;
            if (entry.DownSince is { } down && now - down >= RestartAfter)
            {
                reason = $"not consuming for {(now - down).TotalSeconds:F0} s after its consumer stopped";
            }
            else if (entry.NoConsumerSince is { } none && now - none >= RestartAfter)
            {
                reason = $"the broker has shown no consumer on queue {entry.Queue} for {(now - none).TotalSeconds:F0} s";
            }

            if (reason is not null)
            {
                entry.DownSince = now;
                entry.NoConsumerSince = null;
                (due ??= []).Add((address, entry.Endpoint, reason));
            }
        }

        return due ?? [];
    }

    private Entry Get(Uri address, TEndpoint endpoint)
    {
        if (!_entries.TryGetValue(address, out var entry))
        {
            entry = new Entry(endpoint, ReceiveEndpointWatchdog.QueueOf(address));
            _entries[address] = entry;
        }

        entry.Endpoint = endpoint;
        return entry;
    }

    private sealed class Entry(TEndpoint endpoint, string queue)
    {
        public TEndpoint Endpoint { get; set; } = endpoint;

        public string Queue { get; } = queue;

        public DateTimeOffset? DownSince { get; set; }

        public DateTimeOffset? NoConsumerSince { get; set; }

        public bool Stopping { get; set; }
    }
}
