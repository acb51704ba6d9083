using System.Collections.Concurrent;
using Dispatcher.Contracts;
using MassTransit;

namespace Integration.Tests.Support;

/// <summary>Listens on a bus for result events and intake faults, and keeps them for assertions.</summary>
public sealed class EventRecorder
{
    public ConcurrentQueue<CompletionSucceeded> Succeeded { get; } = new();

    public ConcurrentQueue<CompletionFailed> Failed { get; } = new();

    public ConcurrentQueue<Fault<SubmitCompletion>> IntakeFaults { get; } = new();

    public ConcurrentQueue<Fault<SubmitCompletions>> ChunkFaults { get; } = new();

    public static async Task<EventRecorder> ConnectAsync(IBus bus)
    {
        var recorder = new EventRecorder();
        var handle = bus.ConnectReceiveEndpoint("test-recorder-" + Guid.NewGuid().ToString("N"), e =>
        {
            e.Handler<CompletionSucceeded>(c => { recorder.Succeeded.Enqueue(c.Message); return Task.CompletedTask; });
            e.Handler<CompletionFailed>(c => { recorder.Failed.Enqueue(c.Message); return Task.CompletedTask; });
            e.Handler<Fault<SubmitCompletion>>(c => { recorder.IntakeFaults.Enqueue(c.Message); return Task.CompletedTask; });
            e.Handler<Fault<SubmitCompletions>>(c => { recorder.ChunkFaults.Enqueue(c.Message); return Task.CompletedTask; });
        });
        await handle.Ready;
        return recorder;
    }

    /// <summary>Waits until <paramref name="condition"/> holds, failing after <paramref name="timeout"/>.</summary>
    public static async Task EventuallyAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("timed out waiting for " + what);
            }

            await Task.Delay(25);
        }
    }
}
