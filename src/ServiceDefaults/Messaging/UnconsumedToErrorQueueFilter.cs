using MassTransit;
using MassTransit.Middleware.Rescue;
using MassTransit.Transports;

namespace Dispatcher.ServiceDefaults.Messaging;

/// <summary>
/// Sends a message no consumer on the endpoint took (a message type nobody here handles, a
/// foreign envelope) to the endpoint's <c>_error</c> queue with the reason in its fault headers,
/// where an operator already looks, instead of MassTransit's default silent move to <c>_skipped</c>.
/// </summary>
/// <remarks>
/// MassTransit's own <c>ThrowOnSkippedMessages</c> is meant for a broker dead-letter exchange: without
/// one, its exception reaches the transport, which requeues the message and redelivers it forever.
/// This filter moves the message the way a consumer fault does and lets the delivery complete.
/// </remarks>
public sealed class UnconsumedToErrorQueueFilter : IFilter<ReceiveContext>
{
    /// <inheritdoc />
    public async Task Send(ReceiveContext context, IPipe<ReceiveContext> next)
    {
        if (!context.TryGetPayload(out IErrorTransport? errorTransport))
        {
            throw new TransportException(context.InputAddress, "the receive endpoint has no error transport to move an unconsumed message to");
        }

        var types = context.TryGetPayload(out ConsumeContext? consumed) ? string.Join(", ", consumed.SupportedMessageTypes) : "";
        var reason = new MessageNotConsumedException(
            context.InputAddress,
            types.Length > 0
                ? $"no consumer on this queue takes the message type(s) {types}"
                : "no consumer on this queue takes the message");
        await errorTransport.Send(new RescueExceptionReceiveContext(context, reason));
        await next.Send(context);
    }

    /// <inheritdoc />
    public void Probe(ProbeContext context) => context.CreateFilterScope("unconsumed-to-error");
}
