using System.Collections.Concurrent;
using MassTransit;

namespace Dispatcher.Dispatching;

/// <summary>
/// The jobs whose attempt one delivery of a message has sent, kept on its receive context so they
/// outlive a failed try of it. When the message is tried again in process (after a transient
/// failure), a job whose attempt an earlier try sent is not sent again, while one whose attempt was
/// claimed and then not sent goes out. A redelivery by the broker is a new receive context and
/// starts empty: whether its attempts went out is unknown then, and they are sent again.
/// </summary>
internal sealed class SentAttempts
{
    private readonly ConcurrentDictionary<string, byte> _jobs = new(StringComparer.Ordinal);

    /// <summary>The record of the delivery <paramref name="context"/> belongs to.</summary>
    public static SentAttempts Of(ConsumeContext context) => context.ReceiveContext.GetOrAddPayload(() => new SentAttempts());

    /// <summary>Whether this delivery sent an attempt of the job.</summary>
    public bool Contains(string jobId) => _jobs.ContainsKey(jobId);

    /// <summary>Notes that this delivery sent an attempt of the job.</summary>
    public void Add(string jobId) => _jobs.TryAdd(jobId, 0);
}
