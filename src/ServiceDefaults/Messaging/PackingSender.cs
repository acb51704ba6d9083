using MassTransit;

namespace Dispatcher.ServiceDefaults.Messaging;

/// <summary>
/// Sends items to a queue or exchange packed into as few messages as the broker's confirmations
/// allow. An item goes out at once when fewer than <c>maxInFlight</c> sends to its address await
/// confirmation; otherwise it waits for the next send there, which takes every item waited so
/// far (up to <c>maxItems</c>). A quiet address thus gets each item in a message of its own with
/// no added delay, and a busy one a message per pack, which the broker stores, delivers and
/// acknowledges once. <see cref="SendAsync"/> completes when the message holding the item is
/// confirmed, so a caller acknowledges what it consumed only after its item is safely sent.
/// </summary>
/// <typeparam name="TItem">What callers send.</typeparam>
/// <typeparam name="TPack">The message that carries a pack of items.</typeparam>
/// <param name="send">Sends a pack to an address; completes when the broker has confirmed it.</param>
/// <param name="pack">Makes the message for a pack of items.</param>
/// <param name="limits">Pack size, sends in flight, and how long and how often a pack is tried.</param>
/// <param name="time">The clock for send timeouts and resend delays.</param>
public sealed class PackingSender<TItem, TPack>(
    Func<Uri, TPack, CancellationToken, Task> send,
    Func<IReadOnlyList<TItem>, TPack> pack,
    PackingLimits limits,
    TimeProvider time)
    where TPack : class
{
    /// <summary>A sender through <paramref name="sender"/>'s endpoints (the bus, in the product).</summary>
    public static PackingSender<TItem, TPack> Through(ISendEndpointProvider sender, Func<IReadOnlyList<TItem>, TPack> pack, PackingLimits limits, TimeProvider time) =>
        new(
            async (address, message, ct) => await (await sender.GetSendEndpoint(address).ConfigureAwait(false)).Send(message, ct).ConfigureAwait(false),
            pack,
            limits,
            time);

    private readonly Lock _lock = new();
    private readonly Dictionary<Uri, Address> _addresses = [];

    /// <summary>
    /// Sends <paramref name="item"/> to <paramref name="address"/>; completes once the broker has
    /// confirmed the message that holds it, and fails if that send failed. Cancelling stops the
    /// wait, not the send: the item may still go out.
    /// </summary>
    public Task SendAsync(Uri address, TItem item, CancellationToken ct)
    {
        var waiting = new Waiting(item);
        Address target;
        bool start;
        lock (_lock)
        {
            if (!_addresses.TryGetValue(address, out target!))
            {
                _addresses[address] = target = new Address(address);
            }

            target.Queue.Enqueue(waiting);
            start = target.Sending < limits.MaxInFlight;
            if (start)
            {
                target.Sending++;
            }
        }

        if (start)
        {
            // The send loop serves every caller whose item it packs, so it must not run inside
            // this caller's trace or carry its other ambient state.
            using (ExecutionContext.SuppressFlow())
            {
                _ = Task.Run(() => SendLoopAsync(target), CancellationToken.None);
            }
        }

        return waiting.Sent.Task.WaitAsync(ct);
    }

    // Sends packs to one address until nothing waits for it.
    private async Task SendLoopAsync(Address target)
    {
        while (true)
        {
            List<Waiting> taken;
            lock (_lock)
            {
                if (target.Queue.Count == 0)
                {
                    target.Sending--;
                    return;
                }

                taken = new List<Waiting>(Math.Min(target.Queue.Count, limits.MaxItems));
                while (taken.Count < limits.MaxItems && target.Queue.TryDequeue(out var next))
                {
                    taken.Add(next);
                }
            }

            var items = new TItem[taken.Count];
            for (var i = 0; i < items.Length; i++)
            {
                items[i] = taken[i].Item;
            }

            var failure = await SendPackAsync(target.Uri, items).ConfigureAwait(false);
            foreach (var waiting in taken)
            {
                if (failure is null)
                {
                    waiting.Sent.TrySetResult();
                }
                else
                {
                    waiting.Sent.TrySetException(failure);
                }
            }
        }
    }

    // Sends one pack, each try bounded by the send timeout, resending after a doubling delay
    // whatever failed; returns the last failure when every try failed.
    private async Task<Exception?> SendPackAsync(Uri address, TItem[] items)
    {
        try
        {
            await BrokerConfirmation.SendConfirmedAsync(
                t => send(address, pack(items), t),
                time,
                $"a pack of {items.Length} sent to {address}",
                limits.MaxAttempts,
                limits.RetryDelay,
                CancellationToken.None,
                limits.SendTimeout,
                retryOn: _ => true).ConfigureAwait(false);
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    private sealed class Address(Uri uri)
    {
        public Uri Uri { get; } = uri;

        public Queue<Waiting> Queue { get; } = new();

        public int Sending { get; set; }
    }

    private sealed class Waiting(TItem item)
    {
        public TItem Item { get; } = item;

        public TaskCompletionSource Sent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
