using Dispatcher.Breakers;
using Dispatcher.Contracts;
using Dispatcher.Dispatching;
using Dispatcher.Fairness;
using Dispatcher.Ledger;
using Dispatcher.Monitoring;
using Dispatcher.Quotas;
using Dispatcher.Reservations;
using Dispatcher.Routing;
using Dispatcher.ServiceDefaults.Messaging;
using Dispatcher.Tests.Support;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Dispatcher.Tests.Dispatching;

/// <summary>
/// A result event whose publish never completes (its channel died with a broker restart) must not
/// hold its message, and the job's lock, for good.
/// </summary>
public sealed class ResultPublisherTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 2, 12, 0, 0, TimeSpan.Zero));
    private JobLedger _ledger = null!;
    private DispatcherInstrumentation _instrumentation = null!;

    public async Task InitializeAsync()
    {
        _ledger = new JobLedger(Options.Create(new LedgerOptions { Path = _dir.File("ledger.db") }), _time);
        await _ledger.InitializeAsync(default);
        var catalog = Catalogs.Of("round-robin", Catalogs.Deployment("d1"));
        var quotas = new QuotaBook(catalog, _time);
        var spend = new SpendBook(catalog, _time);
        var breakers = new DeploymentBreakers(catalog, _time);
        var router = new DeploymentRouter(catalog, [], quotas, new LatencyTracker(_time), spend, breakers, new AttemptReservations(quotas, spend, breakers));
        _instrumentation = new DispatcherInstrumentation(catalog, quotas, new DispatchGate(router, quotas, new FairShares(catalog, _time), _time), spend, new ServiceCollection().BuildServiceProvider());
    }

    public async Task DisposeAsync()
    {
        _instrumentation.Dispose();
        await _ledger.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task PublishIfUnsentAsync_PublishNeverConfirmed_FailsTransientlyAndFreesTheJobForTheNextTry()
    {
        var job = (await _ledger.AcceptJobAsync(new NewJob(Guid.NewGuid().ToString(), "b", "a", "g", null, 0, null, null, "{}", 10, 20), default)).Job;
        await _ledger.CompleteAsync(new JobCompletion(job.JobId, false, null, 1, null, null, null, 0m, "InvalidRequest", "bad", 400, null, null), default);
        var publisher = new ResultPublisher(_ledger, _time, _instrumentation, Options.Create(new TransportOptions()));

        var stuck = publisher.PublishIfUnsentAsync(job.JobId, new Endpoints(confirms: false), default);
        for (var i = 0; i < 100 && !stuck.IsCompleted; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(10);
        }

        stuck.IsCompleted.ShouldBeTrue("a publish the broker never confirms must not hold the message forever");
        (await Should.ThrowAsync<TimeoutException>(stuck)).Message.ShouldContain(job.JobId);
        (await _ledger.GetJobAsync(job.JobId, default))!.ResultPublished.ShouldBe(0, "not sent, so a later delivery sends it");

        // The message is tried again; the job's lock was given back, so it publishes this time.
        var confirming = new Endpoints(confirms: true);
        await publisher.PublishIfUnsentAsync(job.JobId, confirming, default).WaitAsync(TimeSpan.FromSeconds(10));
        confirming.Published.ShouldBe(2, "the failed event and its dead letter");
        (await _ledger.GetJobAsync(job.JobId, default))!.ResultPublished.ShouldBe(1);
    }

    // A broker whose sends and publishes either confirm at once or never do.
    private sealed class Endpoints(bool confirms) : IPublishEndpoint, ISendEndpointProvider, ISendEndpoint
    {
        public int Published;

        private Task Done()
        {
            Interlocked.Increment(ref Published);
            return confirms ? Task.CompletedTask : new TaskCompletionSource().Task;
        }

        public Task<ISendEndpoint> GetSendEndpoint(Uri address) => Task.FromResult<ISendEndpoint>(this);

        public ConnectHandle ConnectPublishObserver(IPublishObserver observer) => throw new NotSupportedException();

        public ConnectHandle ConnectSendObserver(ISendObserver observer) => throw new NotSupportedException();

        public Task Publish<T>(T message, CancellationToken cancellationToken = default) where T : class => Done();

        public Task Publish<T>(T message, IPipe<PublishContext<T>> publishPipe, CancellationToken cancellationToken = default) where T : class => Done();

        public Task Publish<T>(T message, IPipe<PublishContext> publishPipe, CancellationToken cancellationToken = default) where T : class => Done();

        public Task Publish(object message, CancellationToken cancellationToken = default) => Done();

        public Task Publish(object message, IPipe<PublishContext> publishPipe, CancellationToken cancellationToken = default) => Done();

        public Task Publish(object message, Type messageType, CancellationToken cancellationToken = default) => Done();

        public Task Publish(object message, Type messageType, IPipe<PublishContext> publishPipe, CancellationToken cancellationToken = default) => Done();

        public Task Publish<T>(object values, CancellationToken cancellationToken = default) where T : class => Done();

        public Task Publish<T>(object values, IPipe<PublishContext<T>> publishPipe, CancellationToken cancellationToken = default) where T : class => Done();

        public Task Publish<T>(object values, IPipe<PublishContext> publishPipe, CancellationToken cancellationToken = default) where T : class => Done();

        public Task Send<T>(T message, CancellationToken cancellationToken = default) where T : class => Done();

        public Task Send<T>(T message, IPipe<SendContext<T>> pipe, CancellationToken cancellationToken = default) where T : class => Done();

        public Task Send<T>(T message, IPipe<SendContext> pipe, CancellationToken cancellationToken = default) where T : class => Done();

        public Task Send(object message, CancellationToken cancellationToken = default) => Done();

        public Task Send(object message, Type messageType, CancellationToken cancellationToken = default) => Done();

        public Task Send(object message, IPipe<SendContext> pipe, CancellationToken cancellationToken = default) => Done();

        public Task Send(object message, Type messageType, IPipe<SendContext> pipe, CancellationToken cancellationToken = default) => Done();

        public Task Send<T>(object values, CancellationToken cancellationToken = default) where T : class => Done();

        public Task Send<T>(object values, IPipe<SendContext<T>> pipe, CancellationToken cancellationToken = default) where T : class => Done();

        public Task Send<T>(object values, IPipe<SendContext> pipe, CancellationToken cancellationToken = default) where T : class => Done();
    }
}
