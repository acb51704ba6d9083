using System.Collections.Concurrent;
using Dispatcher.ServiceDefaults.Messaging;

namespace Dispatcher.ServiceDefaults.Tests.Messaging;

public sealed class PackingSenderTests
{
    private static readonly Uri A = new("queue:a");
    private static readonly Uri B = new("queue:b");

    // A broker whose confirmations the test hands out one send at a time.
    private sealed class HeldBroker
    {
        public ConcurrentQueue<(Uri Address, string[] Items, TaskCompletionSource Confirm)> Sends { get; } = new();

        public Task SendAsync(Uri address, string[] items)
        {
            var confirm = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Sends.Enqueue((address, items, confirm));
            return confirm.Task;
        }

        public async Task<(Uri Address, string[] Items, TaskCompletionSource Confirm)> NextAsync()
        {
            var waited = TimeSpan.Zero;
            while (true)
            {
                if (Sends.TryDequeue(out var send))
                {
                    return send;
                }

                waited += TimeSpan.FromMilliseconds(5);
                waited.ShouldBeLessThan(TimeSpan.FromSeconds(10), "a send that never came");
                await Task.Delay(5);
            }
        }
    }

    private static PackingSender<string, string[]> Sender(
        HeldBroker broker, int maxItems = 64, int maxInFlight = 1, int maxAttempts = 1, TimeSpan? sendTimeout = null)
    {
        Func<Uri, string[], CancellationToken, Task> send = (address, items, _) => broker.SendAsync(address, items);
        Func<IReadOnlyList<string>, string[]> pack = items => [.. items];
        var limits = new PackingLimits
        {
            MaxItems = maxItems,
            MaxInFlight = maxInFlight,
            MaxAttempts = maxAttempts,
            SendTimeout = sendTimeout ?? TimeSpan.FromMinutes(1),
            RetryDelay = TimeSpan.FromMilliseconds(10),
        };
        return new PackingSender<string, string[]>(send, pack, limits, TimeProvider.System);
    }

    [Fact]
    public async Task SendAsync_QuietAddress_SendsTheItemAloneAtOnce()
    {
        var broker = new HeldBroker();
        var sender = Sender(broker);

        var sent = sender.SendAsync(A, "one", default);
        var send = await broker.NextAsync();

        send.Items.ShouldBe(["one"]);
        sent.IsCompleted.ShouldBeFalse();
        send.Confirm.SetResult();
        await sent;
    }

    [Fact]
    public async Task SendAsync_WhileASendAwaitsConfirmation_PacksTheItemsThatWaitIntoTheNextSend()
    {
        var broker = new HeldBroker();
        var sender = Sender(broker, maxInFlight: 1);

        var first = sender.SendAsync(A, "1", default);
        var held = await broker.NextAsync();
        var waiting = new[] { "2", "3", "4" }.Select(i => sender.SendAsync(A, i, default)).ToArray();
        broker.Sends.ShouldBeEmpty();
        held.Confirm.SetResult();
        await first;
        var pack = await broker.NextAsync();

        pack.Items.ShouldBe(["2", "3", "4"]);
        waiting.ShouldAllBe(t => !t.IsCompleted);
        pack.Confirm.SetResult();
        await Task.WhenAll(waiting);
    }

    [Fact]
    public async Task SendAsync_MoreWaitingThanAPackHolds_SplitsThemInOrder()
    {
        var broker = new HeldBroker();
        var sender = Sender(broker, maxItems: 2, maxInFlight: 1);

        var all = new List<Task> { sender.SendAsync(A, "1", default) };
        var held = await broker.NextAsync();
        all.AddRange(new[] { "2", "3", "4", "5", "6" }.Select(i => sender.SendAsync(A, i, default)));
        held.Confirm.SetResult();
        var packs = new List<string[]>();
        for (var i = 0; i < 3; i++)
        {
            var pack = await broker.NextAsync();
            packs.Add(pack.Items);
            pack.Confirm.SetResult();
        }

        await Task.WhenAll(all);
        packs.ShouldBe([["2", "3"], ["4", "5"], ["6"]]);
    }

    [Fact]
    public async Task SendAsync_FailedSend_FailsEveryItemOfThatPackOnly()
    {
        var broker = new HeldBroker();
        var sender = Sender(broker, maxInFlight: 1);

        var first = sender.SendAsync(A, "1", default);
        var held = await broker.NextAsync();
        var packed = new[] { "2", "3" }.Select(i => sender.SendAsync(A, i, default)).ToArray();
        held.Confirm.SetResult();
        var pack = await broker.NextAsync();
        pack.Confirm.SetException(new InvalidOperationException("nacked"));
        var later = sender.SendAsync(A, "4", default);
        var next = await broker.NextAsync();
        next.Confirm.SetResult();

        await first;
        foreach (var item in packed)
        {
            (await Should.ThrowAsync<InvalidOperationException>(item)).Message.ShouldBe("nacked");
        }

        await later;
        next.Items.ShouldBe(["4"]);
    }

    [Fact]
    public async Task SendAsync_SendFailsThenSucceeds_ResendsThePackAndTheItemsAreSent()
    {
        var broker = new HeldBroker();
        var sender = Sender(broker, maxAttempts: 3);

        var sent = sender.SendAsync(A, "1", default);
        (await broker.NextAsync()).Confirm.SetException(new InvalidOperationException("channel closed"));
        var again = await broker.NextAsync();

        again.Items.ShouldBe(["1"]);
        again.Confirm.SetResult();
        await sent;
    }

    [Fact]
    public async Task SendAsync_ConfirmationNeverComes_GivesUpOnThatTryAfterTheTimeoutAndResends()
    {
        var broker = new HeldBroker();
        var sender = Sender(broker, maxAttempts: 2, sendTimeout: TimeSpan.FromMilliseconds(100));

        var sent = sender.SendAsync(A, "1", default);
        var lost = await broker.NextAsync();
        var again = await broker.NextAsync();
        var behind = sender.SendAsync(A, "2", default);
        again.Confirm.SetResult();
        await sent;
        var next = await broker.NextAsync();
        next.Confirm.SetResult();

        await behind;
        lost.Items.ShouldBe(["1"]);
        again.Items.ShouldBe(["1"]);
        next.Items.ShouldBe(["2"]);
    }

    [Fact]
    public async Task SendAsync_EveryTryTimesOut_FailsTheItemsWithATimeout()
    {
        var broker = new HeldBroker();
        var sender = Sender(broker, maxAttempts: 2, sendTimeout: TimeSpan.FromMilliseconds(50));

        var sent = sender.SendAsync(A, "1", default);
        await broker.NextAsync();
        await broker.NextAsync();

        (await Should.ThrowAsync<TimeoutException>(sent)).Message.ShouldContain("did not confirm");
    }

    [Fact]
    public async Task SendAsync_TwoAddresses_DoNotWaitForEachOther()
    {
        var broker = new HeldBroker();
        var sender = Sender(broker, maxInFlight: 1);

        var toA = sender.SendAsync(A, "a1", default);
        var heldA = await broker.NextAsync();
        var toB = sender.SendAsync(B, "b1", default);
        var sendB = await broker.NextAsync();

        sendB.Address.ShouldBe(B);
        sendB.Items.ShouldBe(["b1"]);
        sendB.Confirm.SetResult();
        await toB;
        toA.IsCompleted.ShouldBeFalse();
        heldA.Confirm.SetResult();
        await toA;
    }

    [Fact]
    public async Task SendAsync_Cancelled_StopsTheWaitButTheItemStillGoesOut()
    {
        var broker = new HeldBroker();
        var sender = Sender(broker, maxInFlight: 1);
        using var cancel = new CancellationTokenSource();

        var first = sender.SendAsync(A, "1", default);
        var held = await broker.NextAsync();
        var abandoned = sender.SendAsync(A, "2", cancel.Token);
        await cancel.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(abandoned);
        held.Confirm.SetResult();
        await first;
        var next = await broker.NextAsync();

        next.Items.ShouldBe(["2"]);
        next.Confirm.SetResult();
    }
}
