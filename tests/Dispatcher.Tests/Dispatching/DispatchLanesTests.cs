using Dispatcher.Consumers;
using Dispatcher.Contracts;
using Dispatcher.Dispatching;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Dispatcher.Tests.Dispatching;

public sealed class DispatchLanesTests
{
    private readonly FakeTimeProvider _time = new();

    private DispatchLanes Lanes(int count) => new(Options.Create(new IntakeOptions { Lanes = count }), _time);

    [Fact]
    public void LaneOf_NewBatches_EachGetsAFreeLaneWhileThereAreAny()
    {
        var lanes = Lanes(3);

        var assigned = new[] { lanes.LaneOf("a", "1"), lanes.LaneOf("a", "2"), lanes.LaneOf("b", "1") };

        assigned.Distinct().Count().ShouldBe(3);
        lanes.LaneOf("a", "1").ShouldBe(assigned[0], "a batch keeps its lane");
    }

    [Fact]
    public void LaneOf_MoreBatchesThanLanes_SharesTheLeastUsed()
    {
        var lanes = Lanes(2);
        lanes.LaneOf("a", "1");
        lanes.LaneOf("a", "2");

        var third = lanes.LaneOf("a", "3");
        var fourth = lanes.LaneOf("a", "4");

        third.ShouldNotBe(fourth);
    }

    [Fact]
    public void LaneOf_BatchIdleForLong_LetsItsLaneGo()
    {
        var lanes = Lanes(2);
        var big = lanes.LaneOf("a", "big");
        var other = lanes.LaneOf("b", "other");
        _time.Advance(TimeSpan.FromMinutes(5));
        lanes.LaneOf("b", "other");
        _time.Advance(TimeSpan.FromMinutes(6));

        lanes.LaneOf("c", "new").ShouldBe(big, "the big batch's lane was let go; the other one is still in use");
        other.ShouldNotBe(big);
    }

    [Fact]
    public void Touch_JobOffALaneAfterARestart_KeepsItsBatchThere()
    {
        var lanes = Lanes(4);

        lanes.Touch("a", "big", 3);

        lanes.LaneOf("a", "big").ShouldBe(3);
        lanes.LaneOf("b", "new").ShouldNotBe(3);
    }

    [Theory]
    [InlineData("rabbitmq://localhost/vhost/dispatcher-lane-5", 5)]
    [InlineData("loopback://localhost/dispatcher-lane-0", 0)]
    [InlineData("rabbitmq://localhost/dispatcher-retries", -1)]
    [InlineData("rabbitmq://localhost/dispatcher-lane-x", -1)]
    public void LaneOf_InputAddress_IsTheLaneNumber(string address, int lane)
    {
        DispatchLanes.LaneOf(new Uri(address)).ShouldBe(lane);
        QueueNames.Lane(5).ShouldBe("dispatcher-lane-5");
    }
}
