using Dispatcher.ServiceDefaults.Messaging;
using Microsoft.Extensions.Configuration;

namespace Dispatcher.ServiceDefaults.Tests.Messaging;

public sealed class TransportOptionsTests
{
    private static readonly TransportOptionsValidator Validator = new();

    private static TransportOptions Bind(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build()
            .GetSection(TransportOptions.Section)
            .Get<TransportOptions>() ?? new TransportOptions();

    [Fact]
    public void Validate_Defaults_SucceedsWithOneClassicNode()
    {
        var options = new TransportOptions();

        Validator.Validate(null, options).Succeeded.ShouldBeTrue();
        options.RabbitMq.QueueType.ShouldBe(RabbitMqQueueType.Classic);
        options.RabbitMq.Nodes().ShouldBe([new RabbitMqNode("127.0.0.1", 5672)]);
    }

    [Fact]
    public void Bind_QueueTypeQuorumAndHosts_ReadsThemInOrderWithThePortAsDefault()
    {
        var options = Bind(
            ("Transport:RabbitMq:QueueType", "quorum"),
            ("Transport:RabbitMq:Port", "5700"),
            ("Transport:RabbitMq:Hosts:0", "127.0.0.1:5673"),
            ("Transport:RabbitMq:Hosts:1", "rabbit-b"));

        Validator.Validate(null, options).Succeeded.ShouldBeTrue();
        options.RabbitMq.QueueType.ShouldBe(RabbitMqQueueType.Quorum);
        options.RabbitMq.Nodes().ShouldBe([new RabbitMqNode("127.0.0.1", 5673), new RabbitMqNode("rabbit-b", 5700)]);
    }

    [Theory]
    [InlineData("127.0.0.1:")]
    [InlineData("127.0.0.1:99999")]
    [InlineData("127.0.0.1:0")]
    [InlineData(":5672")]
    [InlineData("127.0.0.1:five")]
    [InlineData(" ")]
    public void Validate_MalformedHost_FailsNamingTheEntry(string entry)
    {
        var options = new TransportOptions { RabbitMq = { Hosts = ["127.0.0.1:5672", entry] } };

        var result = Validator.Validate(null, options);

        result.Failed.ShouldBeTrue();
        result.FailureMessage.ShouldContain("Transport:RabbitMq:Hosts:1");
        Should.Throw<InvalidOperationException>(() => options.RabbitMq.Nodes()).Message.ShouldContain("Transport:RabbitMq:Hosts:1");
    }

    [Fact]
    public void Validate_UndefinedQueueType_FailsNamingTheKey()
    {
        var result = Validator.Validate(null, Bind(("Transport:RabbitMq:QueueType", "7")));

        result.Failed.ShouldBeTrue();
        result.FailureMessage.ShouldContain("Transport:RabbitMq:QueueType");
    }

    [Fact]
    public void Bind_UnknownQueueType_FailsNamingTheKey() =>
        Should.Throw<InvalidOperationException>(() => Bind(("Transport:RabbitMq:QueueType", "mirrored")))
            .Message.ShouldContain("Transport:RabbitMq:QueueType");

    [Theory]
    [InlineData(TransportKind.RabbitMq, RabbitMqQueueType.Quorum, "exchange:provider.a")]
    [InlineData(TransportKind.RabbitMq, RabbitMqQueueType.Classic, "queue:provider.a")]
    [InlineData(TransportKind.InMemory, RabbitMqQueueType.Quorum, "queue:provider.a")]
    public void SendAddress_QueueTypeAndTransport_ExchangeOnlyForQuorumQueues(TransportKind kind, RabbitMqQueueType queueType, string expected)
    {
        var options = new TransportOptions { Kind = kind, RabbitMq = { QueueType = queueType } };

        options.SendAddress("provider.a").ShouldBe(new Uri(expected));
    }

    [Theory]
    [InlineData(RabbitMqQueueType.Quorum, true, false, false, true)]
    [InlineData(RabbitMqQueueType.Quorum, false, true, false, false)]
    [InlineData(RabbitMqQueueType.Quorum, true, false, true, false)]
    [InlineData(RabbitMqQueueType.Quorum, true, true, false, false)]
    [InlineData(RabbitMqQueueType.Classic, true, false, false, false)]
    public void IsQuorum_QueueTypeAndLifetime_OnlyDurableSharedQueuesOfAQuorumSetting(RabbitMqQueueType queueType, bool durable, bool autoDelete, bool exclusive, bool expected) =>
        RabbitMqQueueArguments.IsQuorum(queueType, durable, autoDelete, exclusive).ShouldBe(expected);

    [Fact]
    public void ForDurableQueue_Quorum_AddsTheQueueTypeAndKeepsTtlAndDeadLettering()
    {
        var arguments = new Dictionary<string, object?> { ["x-message-ttl"] = 1000L, ["x-dead-letter-exchange"] = "retries" };

        var declared = RabbitMqQueueArguments.ForDurableQueue(RabbitMqQueueType.Quorum, arguments);

        declared.ShouldBe(new Dictionary<string, object?> { ["x-message-ttl"] = 1000L, ["x-dead-letter-exchange"] = "retries", ["x-queue-type"] = "quorum" }, ignoreOrder: true);
    }

    [Fact]
    public void ForDurableQueue_Classic_LeavesTheArgumentsAsTheyAre()
    {
        var arguments = new Dictionary<string, object?> { ["x-message-ttl"] = 1000L };

        RabbitMqQueueArguments.ForDurableQueue(RabbitMqQueueType.Classic, arguments).ShouldBe(arguments, ignoreOrder: true);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("00:00:00.500")]
    [InlineData("00:10:01")]
    public void Validate_HeartbeatOutOfRange_NamesTheKey(string heartbeat) =>
        Validator.Validate(null, Bind(("Transport:RabbitMq:Heartbeat", heartbeat))).Failures!.ShouldHaveSingleItem()
            .ShouldStartWith("Transport:RabbitMq:Heartbeat: must be between 00:00:01 and 00:10:00");

    [Fact]
    public void CreateConnectionFactory_Heartbeat_AskedForByTheConnection() =>
        Bind(("Transport:RabbitMq:Heartbeat", "00:00:04")).RabbitMq.CreateConnectionFactory("test").RequestedHeartbeat.ShouldBe(TimeSpan.FromSeconds(4));
}
