using Dispatcher.ServiceDefaults.Messaging;

namespace Dispatcher.ServiceDefaults.Tests.Messaging;

public sealed class EndpointWatchTests
{
    private static readonly Uri Address = new("rabbitmq://127.0.0.1/vhost/provider.alpha?prefetch=16");
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly object _endpoint = new();
    private readonly EndpointWatch<object> _watch = new(TimeSpan.FromSeconds(60));

    [Fact]
    public void Due_DownLongerThanRestartAfter_ReturnsEndpointOnceThenWaitsAnotherPeriod()
    {
        _watch.Ready(Address, _endpoint, Start);
        _watch.Down(Address, _endpoint, Start.AddSeconds(1));

        _watch.Due(Start.AddSeconds(60)).ShouldBeEmpty("59 s down is within the allowance");
        var due = _watch.Due(Start.AddSeconds(61));

        due.Count.ShouldBe(1);
        due[0].Endpoint.ShouldBeSameAs(_endpoint);
        due[0].Reason.ShouldContain("not consuming");
        _watch.Due(Start.AddSeconds(62)).ShouldBeEmpty("a restart starts a fresh period");
        _watch.Due(Start.AddSeconds(121)).Count.ShouldBe(1, "still down a period after the restart: tried again");
    }

    [Fact]
    public void Due_DownThenReadyAgainWithinPeriod_NothingToRestart()
    {
        _watch.Down(Address, _endpoint, Start);
        _watch.Down(Address, _endpoint, Start.AddSeconds(30)); // a second fault keeps the first time
        _watch.Ready(Address, _endpoint, Start.AddSeconds(45));

        _watch.Due(Start.AddSeconds(600)).ShouldBeEmpty();
    }

    [Fact]
    public void Due_RepeatedFaultsWithoutReady_CountFromTheFirst()
    {
        _watch.Ready(Address, _endpoint, Start);
        _watch.Down(Address, _endpoint, Start.AddSeconds(10));
        _watch.Down(Address, _endpoint, Start.AddSeconds(40));

        _watch.Due(Start.AddSeconds(70)).Count.ShouldBe(1);
    }

    [Fact]
    public void Due_StoppingOnPurpose_NeverRestarted()
    {
        _watch.Ready(Address, _endpoint, Start);
        _watch.Stopping(Address, _endpoint);
        _watch.Down(Address, _endpoint, Start.AddSeconds(1));

        _watch.Due(Start.AddHours(1)).ShouldBeEmpty();
    }

    [Fact]
    public void Due_AfterRestartingNeverReady_RestartedAgainAfterAPeriod()
    {
        _watch.Down(Address, _endpoint, Start);
        _watch.Due(Start.AddSeconds(60)).Count.ShouldBe(1);
        _watch.Stopping(Address, _endpoint); // the watchdog's own stop
        _watch.Restarting(Address, Start.AddSeconds(61));

        _watch.Due(Start.AddSeconds(120)).ShouldBeEmpty();
        _watch.Due(Start.AddSeconds(121)).Count.ShouldBe(1);
    }

    [Fact]
    public void Due_ReadyButBrokerShowsNoConsumer_RestartedAfterAPeriod()
    {
        _watch.Ready(Address, _endpoint, Start);
        _watch.Consumers(Address, 0, Start.AddSeconds(5));
        _watch.Consumers(Address, 0, Start.AddSeconds(30));

        _watch.Due(Start.AddSeconds(64)).ShouldBeEmpty();
        var due = _watch.Due(Start.AddSeconds(65));

        due.Count.ShouldBe(1);
        due[0].Reason.ShouldContain("provider.alpha");
    }

    [Fact]
    public void Due_ConsumerSeenAgain_ResetsTheBrokerWait()
    {
        _watch.Ready(Address, _endpoint, Start);
        _watch.Consumers(Address, 0, Start);
        _watch.Consumers(Address, 1, Start.AddSeconds(30));
        _watch.Consumers(Address, 0, Start.AddSeconds(40));

        _watch.Due(Start.AddSeconds(90)).ShouldBeEmpty();
        _watch.Due(Start.AddSeconds(100)).Count.ShouldBe(1);
    }

    [Fact]
    public void Endpoints_NameTheQueueOfEachAddress()
    {
        _watch.Ready(Address, _endpoint, Start);
        _watch.Ready(new Uri("rabbitmq://127.0.0.1/dispatcher-intake"), _endpoint, Start);

        _watch.Endpoints.Select(e => e.Queue).Order().ShouldBe(["dispatcher-intake", "provider.alpha"]);
    }
}
