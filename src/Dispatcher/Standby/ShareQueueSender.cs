using System.Threading.Channels;
using Dispatcher.ServiceDefaults.Messaging;
using MassTransit;

namespace Dispatcher.Standby;

/// <summary>
/// Sends to a queue of one share (its exchange, declared with the queue): a job handed to its
/// share's intake or lane. With several shares, a share's queues exist once a process has joined
/// them (<see cref="ShareSubscriptions"/>), and the broker would drop a message sent before that
/// (the share's preferred process not started yet, and this one still within its
/// <see cref="StandbyOptions.StandbyJoinDelay"/>). So the message is sent mandatory: the broker
/// returns it instead, this process joins the share's queues at once, which declares them, and
/// sends it again. With one share the queues are declared when the bus starts.
/// </summary>
public sealed class ShareQueueSender(DispatchShares shares, TimeProvider time)
{
    private readonly Channel<(int Share, TaskCompletionSource Joined)> _joins = Channel.CreateUnbounded<(int, TaskCompletionSource)>();

    /// <summary>Requests to join a share's queues at once, read by <see cref="ShareSubscriptions"/>.</summary>
    internal ChannelReader<(int Share, TaskCompletionSource Joined)> Joins => _joins.Reader;

    /// <summary>
    /// Sends <paramref name="message"/> to <paramref name="queue"/> of <paramref name="share"/> and
    /// waits for the broker to confirm it (<paramref name="what"/> names it should it not).
    /// </summary>
    public async Task SendAsync<T>(ConsumeContext context, string queue, int share, T message, Action<SendContext<T>> configure, string what, CancellationToken ct)
        where T : class
    {
        var endpoint = await context.GetSendEndpoint(new Uri("exchange:" + shares.Queue(queue, share)));
        if (!shares.Split)
        {
            await endpoint.Send(message, configure, ct).ConfirmedWithin(time, what, ct);
            return;
        }

        for (var tries = 1; ; tries++)
        {
            try
            {
                await endpoint.Send(
                        message,
                        c =>
                        {
                            configure(c);
                            if (c is RabbitMqSendContext rabbit)
                            {
                                rabbit.Mandatory = true;
                            }
                        },
                        ct)
                    .ConfirmedWithin(time, what, ct);
                return;
            }
            catch (MessageReturnedException) when (tries == 1)
            {
                var joined = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _joins.Writer.TryWrite((share, joined));
                await joined.Task.WaitAsync(ct);
            }
        }
    }
}
