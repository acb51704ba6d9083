using MassTransit;

namespace Dispatcher.Retries;

/// <summary>Holds a job for its retry delay, then hands it back to routing (the retries queue).</summary>
public interface IRetryScheduler
{
    /// <summary>Sends <paramref name="retry"/> to the retries queue after <paramref name="delay"/>.</summary>
    Task ScheduleAsync(RetryCompletion retry, TimeSpan delay, ISendEndpointProvider sender, CancellationToken ct);
}
