using MassTransit;

namespace Dispatcher.ServiceDefaults.Messaging;

/// <summary>How the product's receive endpoints treat a message none of their consumers takes.</summary>
public static class UnconsumedMessageConfiguration
{
    /// <summary>Dead-letters unconsumed messages to the endpoint's <c>_error</c> queue with the reason, as a fault would be.</summary>
    public static void MoveUnconsumedToErrorQueue(this IReceivePipelineConfigurator endpoint) =>
        endpoint.ConfigureDeadLetter(pipe => pipe.UseFilter(new UnconsumedToErrorQueueFilter()));
}
