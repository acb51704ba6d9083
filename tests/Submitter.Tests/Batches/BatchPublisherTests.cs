using Dispatcher.Batches;
using Dispatcher.Contracts;
using MassTransit;
using Microsoft.Extensions.Time.Testing;

namespace Dispatcher.Submitter.Tests.Batches;

public sealed class BatchPublisherTests
{
    [Fact]
    public async Task PublishAsync_SendsTheBrokerNeverConfirms_AreSentAgainAndTheBatchIsPublished()
    {
        // 250 lines: an announcement and three chunks, each of whose first send hangs, as a publish
        // on a channel that died with a broker restart does.
        using var file = TempBatchFile.FromLines(Enumerable.Range(1, 250).Select(i => BatchJson.Line($"req-{i}")));
        var time = new FakeTimeProvider();
        var broker = new HangingFirstSends();
        var publisher = new BatchPublisher(broker, time: time);

        var publishing = publisher.PublishAsync(file.Path, "b", 250, BatchFileLimits.Default, null, default);
        for (var i = 0; i < 200 && !publishing.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(5);
        }

        publishing.IsCompleted.ShouldBeTrue("a send the broker never confirms must not hold the batch forever");
        (await publishing).ShouldBe(250);
        broker.Confirmed.OfType<SubmitBatch>().Count().ShouldBe(1);
        broker.Confirmed.OfType<SubmitCompletions>().SelectMany(c => c.Jobs).Select(j => j.CustomId).Distinct().Count().ShouldBe(250);
    }

    // Every message's first send never completes; its second is confirmed at once.
    private sealed class HangingFirstSends : ISendEndpointProvider, ISendEndpoint
    {
        private readonly HashSet<object> _seen = [];

        public List<object> Confirmed { get; } = [];

        public Task<ISendEndpoint> GetSendEndpoint(Uri address) => Task.FromResult<ISendEndpoint>(this);

        public ConnectHandle ConnectSendObserver(ISendObserver observer) => throw new NotSupportedException();

        private Task Send(object message)
        {
            lock (_seen)
            {
                if (_seen.Add(message))
                {
                    return new TaskCompletionSource().Task;
                }

                Confirmed.Add(message);
                return Task.CompletedTask;
            }
        }

        public Task Send<T>(T message, CancellationToken cancellationToken = default) where T : class => Send((object)message);

        public Task Send<T>(T message, IPipe<SendContext<T>> pipe, CancellationToken cancellationToken = default) where T : class => Send((object)message);

        public Task Send<T>(T message, IPipe<SendContext> pipe, CancellationToken cancellationToken = default) where T : class => Send((object)message);

        public Task Send(object message, CancellationToken cancellationToken = default) => Send(message);

        public Task Send(object message, Type messageType, CancellationToken cancellationToken = default) => Send(message);

        public Task Send(object message, IPipe<SendContext> pipe, CancellationToken cancellationToken = default) => Send(message);

        public Task Send(object message, Type messageType, IPipe<SendContext> pipe, CancellationToken cancellationToken = default) => Send(message);

        public Task Send<T>(object values, CancellationToken cancellationToken = default) where T : class => Send(values);

        public Task Send<T>(object values, IPipe<SendContext<T>> pipe, CancellationToken cancellationToken = default) where T : class => Send(values);

        public Task Send<T>(object values, IPipe<SendContext> pipe, CancellationToken cancellationToken = default) where T : class => Send(values);
    }
}
