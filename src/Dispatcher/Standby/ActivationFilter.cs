using MassTransit;

namespace Dispatcher.Standby;

/// <summary>Runs ahead of every dispatcher consumer: the process takes over the ledger's state before its first message.</summary>
internal sealed class ActivationFilter(DispatcherActivation activation) : IFilter<ConsumeContext>
{
    public async Task Send(ConsumeContext context, IPipe<ConsumeContext> next)
    {
        await activation.EnsureActiveAsync(context.CancellationToken);
        await next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("dispatcherActivation");
}
