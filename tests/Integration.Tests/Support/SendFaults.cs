using Dispatcher.Contracts;
using Dispatcher.ServiceDefaults.Messaging;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Integration.Tests.Support;

/// <summary>Makes the dispatcher's sends of work to the workers fail, as when the broker does not confirm them.</summary>
public sealed class SendFaults
{
    private int _pending;
    private int _injected;
    private volatile string? _deployment;

    /// <summary>How many sends failed so far.</summary>
    public int Injected => Volatile.Read(ref _injected);

    /// <summary>The next <paramref name="times"/> sends of a work pack (to <paramref name="deployment"/>'s queue only, when given) fail.</summary>
    public void FailNext(int times = 1, string? deployment = null)
    {
        _deployment = deployment;
        Interlocked.Add(ref _pending, times);
    }

    /// <summary>
    /// Puts a work sender that asks these faults before each send in place of the pipeline's own;
    /// it tries each pack once, so a failure reaches the consumer that sent it.
    /// </summary>
    public void Install(IServiceCollection services) =>
        services.Replace(ServiceDescriptor.Singleton(sp =>
        {
            var bus = sp.GetRequiredService<IBus>();
            return new PackingSender<CompletionWork, CompletionWorkPack>(
                async (address, pack, ct) =>
                {
                    if ((_deployment is null || address.AbsolutePath.EndsWith(QueueNames.Provider(_deployment), StringComparison.Ordinal)) && TakeOne())
                    {
                        Interlocked.Increment(ref _injected);
                        throw new TimeoutException($"the broker did not confirm a pack of {pack.Work.Count} sent to {address}");
                    }

                    await (await bus.GetSendEndpoint(address)).Send(pack, ct);
                },
                work => new CompletionWorkPack(work),
                new PackingLimits { MaxAttempts = 1 },
                sp.GetRequiredService<TimeProvider>());
        }));

    private bool TakeOne()
    {
        while (true)
        {
            var pending = Volatile.Read(ref _pending);
            if (pending <= 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _pending, pending - 1, pending) == pending)
            {
                return true;
            }
        }
    }
}
