using MassTransit;

namespace Dispatcher.ServiceDefaults.Messaging;

/// <summary>How the product's receive endpoints try a message again after a transient failure.</summary>
public static class MessageRetryConfiguration
{
    /// <summary>
    /// Tries a message again, waiting <see cref="MessageRetryOptions.Delays"/>, after a failure
    /// <paramref name="isTransient"/> recognises; any other failure, or the last one, sends it to
    /// the endpoint's error queue with its reason. A consumer must recognise a message it already
    /// handled in part: the whole message is handled again.
    /// </summary>
    public static void UseTransientMessageRetry(this IConsumePipeConfigurator endpoint, MessageRetryOptions options, Func<Exception, bool> isTransient)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(isTransient);
        var delays = options.Delays();
        if (delays.Length == 0)
        {
            return;
        }

        endpoint.UseMessageRetry(r =>
        {
            r.Intervals(delays);
            r.Handle<Exception>(e => isTransient(e));
        });
    }
}
