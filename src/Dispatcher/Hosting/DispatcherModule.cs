using Dispatcher.Consumers;
using Dispatcher.Contracts;
using Dispatcher.ServiceDefaults.Messaging;
using Dispatcher.Standby;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dispatcher.Hosting;

/// <summary>The dispatcher's part of the bus: intake, batch announcements and commands, attempt outcomes, retries, fallbacks, dispatch lanes and replays.</summary>
public sealed class DispatcherModule : IBusModule
{
    /// <inheritdoc />
    public void AddServices(IServiceCollection services) => services.AddDispatcher();

    /// <inheritdoc />
    public void AddConsumers(IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<SubmitCompletionConsumer, SubmitCompletionConsumerDefinition>();
        bus.AddConsumer<SubmitBatchConsumer, SubmitBatchConsumerDefinition>();
        bus.AddConsumer<CompletionAttemptedConsumer, CompletionAttemptedConsumerDefinition>();
        bus.AddConsumer<ReplayCompletionConsumer, ReplayCompletionConsumerDefinition>();
        bus.AddConsumer<RetryCompletionConsumer>();
        bus.AddConsumer<BatchCommandConsumer, BatchCommandConsumerDefinition>();
    }

    /// <inheritdoc />
    public void ConfigureEndpoints<TEndpoint>(IBusRegistrationContext context, IBusFactoryConfigurator<TEndpoint> bus)
        where TEndpoint : IReceiveEndpointConfigurator
    {
        // The definitions own each endpoint's name, concurrency and serializer. With several shares
        // the queues of one share's work (outcomes, retries, fallbacks, lanes) are the share's own,
        // joined and left while running (ShareSubscriptions); the others every dispatcher shares.
        var split = context.GetRequiredService<DispatchShares>().Split;
        bus.ConfigureEndpoints(context, f => f.Include(
            split
                ? [typeof(SubmitCompletionConsumer), typeof(SubmitBatchConsumer), typeof(ReplayCompletionConsumer), typeof(BatchCommandConsumer)]
                : [typeof(SubmitCompletionConsumer), typeof(SubmitBatchConsumer), typeof(CompletionAttemptedConsumer), typeof(ReplayCompletionConsumer), typeof(BatchCommandConsumer)]));
        if (split)
        {
            return;
        }

        foreach (var (queue, configure) in ShareQueues(context, share: 0))
        {
            bus.ReceiveEndpoint(queue, e => configure(e));
        }
    }

    /// <summary>
    /// The queues holding the work of one share's jobs, each with how its endpoint is configured:
    /// retries and fallbacks, the dispatch lanes and, with several shares, the share's intake and
    /// outcomes.
    /// </summary>
    internal static IEnumerable<(string Queue, Action<IReceiveEndpointConfigurator> Configure)> ShareQueues(IBusRegistrationContext context, int share)
    {
        var shares = context.GetRequiredService<DispatchShares>();
        var intake = context.GetRequiredService<IOptions<IntakeOptions>>().Value;
        if (shares.Split)
        {
            // The share's own intake: jobs of the share another dispatcher took off the shared
            // intake (ShareIntake). Configured as the shared intake is; only sent to, so bound to no
            // message type's exchange.
            yield return (shares.Queue(QueueNames.Intake, share), e =>
            {
                e.ConfigureConsumeTopology = false;
                e.ConfigureConsumer<SubmitCompletionConsumer>(context);
            });

            // As CompletionAttemptedConsumerDefinition configures it with one share.
            yield return (shares.Queue(QueueNames.Outcomes, share), e => e.ConfigureConsumer<CompletionAttemptedConsumer>(context));
        }

        // Retries come back from the delay queues, re-routes come off the fallback queue; both
        // are routed the same way. Each waits for quota like the intake, so each is bounded like it.
        foreach (var queue in new[] { QueueNames.Retries, QueueNames.Fallbacks })
        {
            yield return (shares.Queue(queue, share), e =>
            {
                e.PrefetchCount = intake.PrefetchCount;
                e.ConcurrentMessageLimit = intake.ConcurrentMessageLimit;
                e.ConfigureConsumer<RetryCompletionConsumer>(context);
                DispatcherEndpoint.Configure(e, context);
            });
        }

        // The dispatch lanes: jobs that would wait for capacity wait here, in the broker, each
        // lane's few at a time in the dispatcher taking their turn (FairShares). Priority queues,
        // like the intake, so a lane hands over its backlog highest priority first (on classic
        // queues: quorum queues have no priorities, and QueueTypeEndpointObserver drops it there).
        for (var lane = 0; lane < intake.Lanes; lane++)
        {
            yield return (shares.Queue(QueueNames.Lane(lane), share), e =>
            {
                e.PrefetchCount = intake.LaneConcurrency;
                e.ConcurrentMessageLimit = intake.LaneConcurrency;
                if (e is IRabbitMqReceiveEndpointConfigurator rabbit)
                {
                    rabbit.EnablePriority(IntakePriority.MaxLevel);
                }

                e.ConfigureConsumer<RetryCompletionConsumer>(context);
                DispatcherEndpoint.Configure(e, context);
            });
        }
    }
}
