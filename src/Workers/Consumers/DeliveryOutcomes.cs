using System.Collections.Concurrent;
using Dispatcher.Contracts;
using MassTransit;

namespace Dispatcher.Workers.Consumers;

/// <summary>
/// The outcomes of the attempts one delivery of a message has run, kept on its receive context so
/// they outlive a failed try of it. When the message is tried again in process (its outcomes could
/// not be sent), an attempt already run has its outcome sent again instead of calling the provider
/// a second time. A redelivery by the broker is a new receive context and runs its attempts again.
/// </summary>
internal sealed class DeliveryOutcomes
{
    private readonly ConcurrentDictionary<(Guid JobId, int Attempt), CompletionAttempted> _outcomes = new();

    /// <summary>The record of the delivery <paramref name="context"/> belongs to.</summary>
    public static DeliveryOutcomes Of(ConsumeContext context) => context.ReceiveContext.GetOrAddPayload(() => new DeliveryOutcomes());

    /// <summary>The outcome this delivery already has for <paramref name="work"/>, if it ran it.</summary>
    public bool TryGet(CompletionWork work, out CompletionAttempted outcome) =>
        _outcomes.TryGetValue((work.JobId, work.Attempt), out outcome!);

    /// <summary>Keeps the outcome of an attempt this delivery ran.</summary>
    public void Add(CompletionAttempted outcome) => _outcomes.TryAdd((outcome.JobId, outcome.Attempt), outcome);
}
