using Dispatcher.Contracts;
using Dispatcher.Dispatching;
using Dispatcher.Ledger;
using Dispatcher.ServiceDefaults.Messaging;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dispatcher.Retries;

/// <summary>
/// Retry delays on the embedded in-memory transport, which has no TTL queues: the job waits
/// in a timer, then goes to the same retries queue. Like everything on that transport, a
/// waiting job lives only as long as the process.
/// </summary>
/// <remarks>
/// The outcome that scheduled the retry is acknowledged by then, so a send that fails has no
/// message left to fail with, and nothing else on this transport would ever send the job's next
/// attempt. The send is therefore tried again after the waits of <see cref="MessageRetryOptions"/>,
/// as a consumed message would be; when every try has failed, the job ends as failed through
/// the normal result path (ledger, <see cref="CompletionFailed"/>, dead-letter queue), with the
/// failed attempt's error kind and a reason naming the send's failure, so it can be replayed.
/// </remarks>
public sealed class InMemoryRetryScheduler : IRetryScheduler, IDisposable
{
    private readonly Func<RetryCompletion, CancellationToken, Task> _send;
    private readonly JobLedger _ledger;
    private readonly ResultPublisher _results;
    private readonly IBus _bus;
    private readonly TimeSpan[] _resendDelays;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>A scheduler that sends to the retries queue through <paramref name="bus"/>.</summary>
    public InMemoryRetryScheduler(IBus bus, JobLedger ledger, ResultPublisher results, IOptions<MessageRetryOptions> retry, TimeProvider time, ILogger<InMemoryRetryScheduler> logger)
        : this((r, ct) => SendToRetriesAsync(bus, r, ct), ledger, results, bus, retry, time, logger)
    {
    }

    /// <summary>A scheduler that hands a job back to routing through <paramref name="send"/>.</summary>
    internal InMemoryRetryScheduler(
        Func<RetryCompletion, CancellationToken, Task> send,
        JobLedger ledger,
        ResultPublisher results,
        IBus bus,
        IOptions<MessageRetryOptions> retry,
        TimeProvider time,
        ILogger<InMemoryRetryScheduler> logger)
    {
        _send = send;
        _ledger = ledger;
        _results = results;
        _bus = bus;
        _resendDelays = retry.Value.Delays();
        _time = time;
        _logger = logger;
    }

    /// <inheritdoc />
    public Task ScheduleAsync(RetryCompletion retry, TimeSpan delay, ISendEndpointProvider sender, CancellationToken ct)
    {
        // Not through the caller's consume context: the send happens after that message is done.
        _ = SendLaterAsync(retry, delay, _stopping.Token);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    private static async Task SendToRetriesAsync(IBus bus, RetryCompletion retry, CancellationToken ct) =>
        await (await bus.GetSendEndpoint(new Uri("queue:" + QueueNames.Retries))).Send(retry, ct);

    private async Task SendLaterAsync(RetryCompletion retry, TimeSpan delay, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(delay, _time, stopping);
            for (var tried = 0; ; tried++)
            {
                try
                {
                    await _send(retry, stopping);
                    return;
                }
                catch (Exception ex) when (!stopping.IsCancellationRequested && tried < _resendDelays.Length)
                {
                    _logger.LogWarning(ex, "Job {JobId}: attempt {Attempt} could not be sent back to routing; trying again", retry.JobId, retry.Attempt);
                    await Task.Delay(_resendDelays[tried], _time, stopping);
                }
                catch (Exception ex) when (!stopping.IsCancellationRequested)
                {
                    await GiveUpAsync(retry, ex, stopping);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The process is stopping; the in-memory transport's messages end with it.
        }
        catch (Exception ex)
        {
            // Not a consumer: nothing above this timer would see the exception. The job could be
            // neither sent on nor ended (the ledger or the bus failing too); it stays dispatched.
            _logger.LogError(ex, "Job {JobId}: attempt {Attempt} could not be sent back to routing, and the job could not be ended", retry.JobId, retry.Attempt);
        }
    }

    private async Task GiveUpAsync(RetryCompletion retry, Exception failure, CancellationToken ct)
    {
        var jobId = retry.JobId.ToString();
        var job = await _ledger.GetJobAsync(jobId, ct);
        if (job is null || JobState.IsTerminal(job.State) || job.Attempts != retry.Attempt - 1)
        {
            // Ended, or sent on by another delivery meanwhile: it does not wait for this retry.
            return;
        }

        var failed = (await _ledger.GetAttemptsAsync(jobId, ct)).LastOrDefault(a => a.Attempt == job.Attempts);
        var error = Enum.TryParse<ErrorKind>(failed?.ErrorKind, out var kind) ? kind : ErrorKind.ServerError;
        var reason = $"{retry.Reason}; the retry could not be sent back to routing: {failure.GetType().Name}: {failure.Message}";
        _logger.LogError(failure, "Job {JobId}: attempt {Attempt} could not be sent back to routing; the job ends as failed", retry.JobId, retry.Attempt);
        await _results.FailAsync(job, error, reason, (int?)failed?.StatusCode, (int)job.Attempts, _bus, ct);
    }
}
