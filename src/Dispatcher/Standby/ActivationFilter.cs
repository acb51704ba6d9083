using MassTransit;

namespace Dispatcher.Standby;

/// <summary>
/// Runs ahead of every consumer of a dispatcher queue that one process consumes at a time: the
/// process takes over the ledger's state (with several shares, the share's) before its first message.
/// </summary>
internal sealed class ActivationFilter(DispatcherActivation activation, int share) : IFilter<ConsumeContext>
{
    public async Task Send(ConsumeContext context, IPipe<ConsumeContext> next)
    {
        await activation.EnsureActiveAsync(share, context.CancellationToken);
        await next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("dispatcherActivation");
}
