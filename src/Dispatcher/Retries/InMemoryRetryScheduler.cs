using Dispatcher.Contracts;
using MassTransit;

namespace Dispatcher.Retries;

/// <summary>
/// Retry delays on the embedded in-memory transport, which has no TTL queues: the job waits
/// in a timer, then goes to the same retries queue. Like everything on that transport, a
/// waiting job lives only as long as the process.
/// </summary>
public sealed class InMemoryRetryScheduler(IBus bus, TimeProvider time) : IRetryScheduler, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();

    /// <inheritdoc />
    public async Task ScheduleAsync(RetryCompletion retry, TimeSpan delay, ISendEndpointProvider sender, CancellationToken ct)
    {
        // The bus, not the caller's consume context: the send happens after that message is done.
        var endpoint = await bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Retries));
        _ = SendLaterAsync(endpoint, retry, delay);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    private async Task SendLaterAsync(ISendEndpoint endpoint, RetryCompletion retry, TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, time, _stopping.Token);
            await endpoint.Send(retry, _stopping.Token);
        }
        catch (OperationCanceledException)
        {
            // The process is stopping; the in-memory transport's messages end with it.
        }
    }
}
