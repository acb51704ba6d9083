using System.Runtime.ExceptionServices;
using MassTransit;

namespace Dispatcher.Standby;

/// <summary>
/// The first step of a share's queues' error pipe: a message whose handling found the share lost
/// (<see cref="ShareLostException"/>) is not moved to the error queue, as other failures are; the
/// exception goes on to the transport, which gives the message back to its queue unacknowledged,
/// where the share's new owner takes it.
/// </summary>
internal sealed class ShareLostFilter : IFilter<ExceptionReceiveContext>
{
    public Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
    {
        if (Lost(context.Exception))
        {
            ExceptionDispatchInfo.Capture(context.Exception).Throw();
        }

        return next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("shareLost");

    private static bool Lost(Exception? e) => e switch
    {
        null => false,
        ShareLostException => true,
        AggregateException all => all.InnerExceptions.Any(Lost),
        _ => Lost(e.InnerException),
    };
}
