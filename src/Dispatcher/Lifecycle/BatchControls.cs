using System.Collections.Concurrent;
using System.Globalization;
using Dispatcher.Ledger;

namespace Dispatcher.Lifecycle;

/// <summary>
/// This dispatcher's view of each batch's control (paused, cancelled, expired) and completion
/// window, read from the ledger and kept for a second, so routing a chunk of a batch's jobs asks
/// the ledger once rather than once per job. The view only saves work: the ledger refuses the claim
/// of a new attempt of a held batch whatever the view says (<see cref="JobLedger.MarkDispatchedAsync"/>),
/// and a refused claim reads the batch afresh. A job waiting for quota waits on
/// <see cref="HoldToken"/> too, which ends when this process sees the batch held.
/// </summary>
public sealed class BatchControls(JobLedger ledger, TimeProvider time)
{
    // How long a batch's control read from the ledger is used before it is read again: how late a
    // command recorded by another process (a dispatcher that was active before) is seen here.
    private static readonly TimeSpan Freshness = TimeSpan.FromSeconds(1);

    // Beyond this many batches, those not looked at for a while are forgotten.
    private const int KeptBatches = 10_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>
    /// What holds a new attempt of <paramref name="batchId"/>'s jobs now. With <paramref name="fresh"/>
    /// the ledger is read whatever this process saw a moment ago (after a command, or a refused claim).
    /// </summary>
    public async ValueTask<BatchHold> CheckAsync(string? batchId, bool fresh, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(batchId))
        {
            return BatchHold.None;
        }

        var now = time.GetUtcNow();
        var entry = EntryFor(batchId, now);
        if (fresh || entry.IsStale(now))
        {
            var row = await ledger.GetBatchControlAsync(batchId, ct);
            entry.Update(row?.Control, ParseTime(row?.ExpiresAt), row?.Metadata, now);
        }

        return entry.HoldAt(now);
    }

    /// <summary>
    /// <paramref name="batchId"/>'s metadata, for routing rules: parsed once per batch and kept
    /// with its control, so the ledger is read at most as often as for the control.
    /// </summary>
    public async ValueTask<IReadOnlyDictionary<string, string>?> MetadataAsync(string? batchId, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(batchId))
        {
            return null;
        }

        if (!_entries.TryGetValue(batchId, out var entry) || !entry.WasRead)
        {
            await CheckAsync(batchId, fresh: false, ct);
            entry = EntryFor(batchId, time.GetUtcNow());
        }

        return entry.Metadata;
    }

    /// <summary>When <paramref name="batchId"/>'s completion window ends, as last read; null for none.</summary>
    public DateTimeOffset? ExpiresAt(string? batchId) =>
        batchId is not null && _entries.TryGetValue(batchId, out var entry) ? entry.ExpiresAt : null;

    /// <summary>
    /// A token that ends when this process sees <paramref name="batchId"/> paused, cancelled or
    /// expired by a command: a job waiting for quota stops waiting and is put aside or ended.
    /// </summary>
    public CancellationToken HoldToken(string? batchId) =>
        batchId is not null && _entries.TryGetValue(batchId, out var entry) ? entry.Token : CancellationToken.None;

    /// <summary>The round-trip text the ledger keeps times in, as an instant.</summary>
    public static DateTimeOffset? ParseTime(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at : null;

    private Entry EntryFor(string batchId, DateTimeOffset now)
    {
        if (_entries.Count > KeptBatches)
        {
            foreach (var (id, old) in _entries)
            {
                if (old.IsForgettable(now))
                {
                    _entries.TryRemove(id, out _);
                }
            }
        }

        return _entries.GetOrAdd(batchId, _ => new Entry());
    }

    private sealed class Entry
    {
        private readonly Lock _lock = new();
        private string? _control;
        private DateTimeOffset? _readAt;
        private CancellationTokenSource _held = new();
        private string? _metadataText;

        public DateTimeOffset? ExpiresAt { get; private set; }

        public IReadOnlyDictionary<string, string>? Metadata { get; private set; }

        public bool WasRead
        {
            get
            {
                lock (_lock)
                {
                    return _readAt is not null;
                }
            }
        }

        public CancellationToken Token
        {
            get
            {
                lock (_lock)
                {
                    return _held.Token;
                }
            }
        }

        public bool IsStale(DateTimeOffset now)
        {
            lock (_lock)
            {
                return _readAt is not { } read || now - read >= Freshness || now < read;
            }
        }

        public bool IsForgettable(DateTimeOffset now)
        {
            lock (_lock)
            {
                return _readAt is { } read && now - read > TimeSpan.FromMinutes(1);
            }
        }

        public void Update(string? control, DateTimeOffset? expiresAt, string? metadata, DateTimeOffset now)
        {
            CancellationTokenSource? end = null;
            lock (_lock)
            {
                // A batch's metadata is written once; it is parsed again only if its text changed.
                if (!string.Equals(metadata, _metadataText, StringComparison.Ordinal))
                {
                    _metadataText = metadata;
                    Metadata = Routing.BodyTraits.ParseMetadata(metadata);
                }

                _control = control;
                ExpiresAt = expiresAt;
                _readAt = now;
                if (control is not null && !_held.IsCancellationRequested)
                {
                    end = _held;
                }
                else if (control is null && _held.IsCancellationRequested)
                {
                    // Resumed: jobs routed from now on wait as usual.
                    _held = new CancellationTokenSource();
                }
            }

            // Outside the lock: the waiters it wakes read this entry again.
            end?.Cancel();
        }

        public BatchHold HoldAt(DateTimeOffset now)
        {
            lock (_lock)
            {
                return _control switch
                {
                    BatchControl.Cancelled => BatchHold.Cancelled,
                    BatchControl.Expired => BatchHold.Expired,
                    _ when ExpiresAt <= now => BatchHold.Expired,
                    BatchControl.Paused => BatchHold.Paused,
                    _ => BatchHold.None,
                };
            }
        }
    }
}
