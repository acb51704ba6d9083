namespace Dispatcher.ServiceDefaults.Messaging;

/// <summary>
/// Bounds how long one send or publish may wait for the broker. On RabbitMQ a publish whose channel
/// died with a broker restart can wait forever, inside MassTransit's one-time declaration of the
/// exchange on that channel or for a confirmation that never comes; the message being handled then
/// holds its consumer slot, and whatever lock it holds, for good. Bounded, the wait ends in a
/// <see cref="TimeoutException"/>, which <see cref="TransientFailure"/> counts as transient: the
/// message is tried again (on a new channel) or redelivered. A send given up on may still arrive,
/// so it may arrive twice; every consumer of the contract recognises repeats.
/// </summary>
public static class BrokerConfirmation
{
    /// <summary>The longest one send may wait for the broker's confirmation, unless a caller says otherwise.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Sends through <paramref name="send"/> until the broker confirms, at most
    /// <paramref name="attempts"/> times, each try bounded by <paramref name="timeout"/> (by default
    /// <see cref="Timeout"/>; the try's token is cancelled when it passes), pausing
    /// <paramref name="firstPause"/> after the first failure and twice as long after each next; the
    /// last failure is thrown. A failure is tried again when <paramref name="retryOn"/> says so (by
    /// default when <see cref="TransientFailure"/> does). For a sender with nothing behind it to try
    /// again for it (the CLI, a pack of attempts): a send that may arrive twice must be one its
    /// consumer recognises when it does.
    /// </summary>
    public static async Task SendConfirmedAsync(
        Func<CancellationToken, Task> send,
        TimeProvider time,
        string what,
        int attempts,
        TimeSpan firstPause,
        CancellationToken ct,
        TimeSpan? timeout = null,
        Func<Exception, bool>? retryOn = null)
    {
        ArgumentNullException.ThrowIfNull(send);
        var limit = timeout ?? Timeout;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var bound = new CancellationTokenSource(limit, time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, bound.Token);
                try
                {
                    await send(linked.Token).WaitAsync(linked.Token).ConfigureAwait(false);
                    return;
                }
                catch (OperationCanceledException e) when (bound.IsCancellationRequested && !ct.IsCancellationRequested)
                {
                    throw new TimeoutException($"the broker did not confirm {what} within {limit.TotalSeconds:0.###} s", e);
                }
            }
            catch (Exception e) when (attempt < attempts && !ct.IsCancellationRequested && (retryOn ?? (x => TransientFailure.IsMatch(x)))(e))
            {
                await Task.Delay(firstPause * (1 << (attempt - 1)), time, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Waits for <paramref name="send"/> at most <see cref="Timeout"/> (on <paramref name="time"/>'s
    /// clock); past it, throws a <see cref="TimeoutException"/> naming <paramref name="what"/>.
    /// </summary>
    public static async Task ConfirmedWithin(this Task send, TimeProvider time, string what, CancellationToken ct)
    {
        try
        {
            await send.WaitAsync(Timeout, time, ct).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"the broker did not confirm {what} within {Timeout.TotalSeconds:0} s", e);
        }
    }
}
